import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIError, MetaFFIHandle } from 'metaffi';
import { extraJar, guestClasses } from '../support/java.js';

const S = T.metaffi_string8_type;
const I32 = T.metaffi_int32_type;
const I64 = T.metaffi_int64_type;
const F32 = T.metaffi_float32_type;
const F64 = T.metaffi_float64_type;
const H = T.metaffi_handle_type;
const A = T.metaffi_any_type;

const jvm = new MetaFFIRuntime('openjdk');
const guest = jvm.loadModule(guestClasses());
const G = 'class=guest.Guest';

describe('openjdk runtime names and modules', () => {
  it('accepts the aliases jvm and java', () => {
    assert.equal(new MetaFFIRuntime('jvm').runtimePlugin, 'openjdk');
    assert.equal(new MetaFFIRuntime('java').runtimePlugin, 'openjdk');
  });

  it('loads JDK classes without any jar', () => {
    const jdk = jvm.loadModule('java.base');
    const max = jdk.loadEntity('class=java.lang.Math,callable=max', [I64, I64], [I64]);
    assert.equal(max(3, 9), 9);
  });

  it('adds jars and class folders joined with ; and later loads add to the class path', () => {
    const both = jvm.loadModule(`${extraJar()};${guestClasses()}`);
    const hello = both.loadEntity('class=extra.Extra,callable=hello', null, [S]);
    assert.equal(hello(), 'extra hello');
    const useGuest = both.loadEntity('class=extra.Extra,callable=useGuest', null, [S]);
    assert.equal(useGuest(), 'inner hello via extra');
    // the first module sees the classes added later, too: one class path
    assert.equal(guest.loadEntity('class=extra.Extra,callable=hello', null, [S])(), 'extra hello');
  });

  it('rejects a module path that does not exist, naming it', () => {
    assert.throws(() => jvm.loadModule('/no/such/lib.jar'), (e: unknown) =>
      e instanceof MetaFFIError && /no such jar, class folder or .java file: \/no\/such\/lib\.jar/.test(e.message));
    assert.throws(() => jvm.loadModule(`${guestClasses()};missing-dir`), /no such jar, class folder or .java file: missing-dir/);
    assert.throws(() => jvm.loadModule(';;'), /names no jar or class folder/);
  });
});

describe('openjdk entity paths', () => {
  it('static methods: void and values', () => {
    assert.equal(guest.loadEntity(`${G},callable=noOp`)(), undefined);
    assert.equal(guest.loadEntity(`${G},callable=noOp`, null, null)(), undefined);
    assert.equal(guest.loadEntity(`${G},callable=add`, [I32, I32], [I32])(2, 3), 5);
  });

  it('constructors (<init>) chosen by their parameter types, instance methods with instance_required', () => {
    const newDefault = guest.loadEntity(`${G},callable=<init>`, null, [H]);
    const newNamed = guest.loadEntity(`${G},callable=<init>`, [S], [H]);
    const newSized = guest.loadEntity(`${G},callable=<init>`, [S, I32], [H]);
    const greet = guest.loadEntity(`${G},callable=greet,instance_required`, [H, S], [S]);
    const getSize = guest.loadEntity(`${G},field=size,getter,instance_required`, [H], [I32]);
    const a = newDefault(), b = newNamed('Ada'), c = newSized('Bob', 42);
    assert.ok(a instanceof MetaFFIHandle);
    assert.equal(greet(a, 'you'), 'nobody greets you');
    assert.equal(greet(b, 'me'), 'Ada greets me');
    assert.equal(getSize(b), 3);
    assert.equal(getSize(c), 42);
    assert.equal(a.runtime, 'openjdk');
    assert.equal(a.foreignType, 'guest.Guest');
  });

  it('static fields: getter and setter; final fields can be read', () => {
    const getCounter = guest.loadEntity(`${G},field=counter,getter`, null, [I32]);
    const setCounter = guest.loadEntity(`${G},field=counter,setter`, [I32], null);
    setCounter(41);
    assert.equal(getCounter(), 41);
    assert.equal(guest.loadEntity(`${G},callable=increment`, null, [I32])(), 42);
    assert.equal(getCounter(), 42);
    assert.equal(guest.loadEntity(`${G},field=GREETING,getter`, null, [S])(), 'hello');
    assert.equal(guest.loadEntity(`${G},field=big,getter`, null, [I64])(), 2n ** 62n + 1n);
    assert.throws(() => guest.loadEntity(`${G},field=GREETING,setter`, [S], null), /final/);
  });

  it('instance fields: getter and setter', () => {
    const obj = guest.loadEntity(`${G},callable=<init>`, [S], [H])('x');
    const getName = guest.loadEntity(`${G},field=name,getter,instance_required`, [H], [S]);
    const setName = guest.loadEntity(`${G},field=name,setter,instance_required`, [H, S], null);
    setName(obj, 'renamed ✓');
    assert.equal(getName(obj), 'renamed ✓');
    setName(obj, null);
    assert.equal(getName(obj), null);
  });

  it('nested classes are written Outer$Inner', () => {
    assert.equal(guest.loadEntity('class=guest.Guest$Inner,callable=hello', null, [S])(), 'inner hello');
    const inner = guest.loadEntity('class=guest.Guest$Inner,callable=<init>', [I32], [H])(21);
    assert.equal(guest.loadEntity('class=guest.Guest$Inner,callable=twice,instance_required', [H], [I32])(inner), 42);
    assert.equal(guest.loadEntity('class=guest.Guest$Inner,field=value,getter,instance_required', [H], [I32])(inner), 21);
  });

  it('inherited and interface methods are callable on any object handle', () => {
    const dog = guest.loadEntity('class=guest.Dog,callable=<init>', [S], [H])('Rex');
    assert.equal(guest.loadEntity('class=guest.Animal,callable=speak,instance_required', [H], [S])(dog), 'Rex says woof');
    assert.equal(guest.loadEntity('class=guest.Dog,callable=speak,instance_required', [H], [S])(dog), 'Rex says woof');
    assert.equal(guest.loadEntity('class=guest.Named,callable=getName,instance_required', [H], [S])(dog), 'Rex');
    assert.equal(guest.loadEntity('class=guest.Named,callable=shout,instance_required', [H], [S])(dog), 'REX!');
    assert.equal(guest.loadEntity('class=guest.Named,callable=toString,instance_required', [H], [S])(dog).startsWith('guest.Dog@'), true);
  });

  it('JDK classes: java.util.List.size on an ArrayList, String methods on a String handle', () => {
    const jdk = jvm.loadModule('java.base');
    const newList = jdk.loadEntity('class=java.util.ArrayList,callable=<init>', null, [H]);
    const add = jdk.loadEntity('class=java.util.List,callable=add,instance_required', [H, A], [T.metaffi_bool_type]);
    const size = jdk.loadEntity('class=java.util.List,callable=size,instance_required', [H], [I32]);
    const get = jdk.loadEntity('class=java.util.List,callable=get,instance_required', [H, I32], [A]);
    const list = newList();
    assert.equal(add(list, 'one'), true);
    add(list, 2);
    add(list, 3.5);
    assert.equal(size(list), 3);
    assert.equal(get(list, 0), 'one');
    assert.equal(get(list, 1), 2);
    assert.equal(get(list, 2), 3.5);
    const typeOf = guest.loadEntity(`${G},callable=typeOf`, [A], [S]);
    assert.equal(typeOf(get(list, 1)), 'java.lang.Integer');
    const valueOf = jdk.loadEntity('class=java.lang.String,callable=valueOf', [H], [H]);
    const s = valueOf(list);
    assert.equal(jdk.loadEntity('class=java.lang.String,callable=length,instance_required', [H], [I32])(s), '[one, 2, 3.5]'.length);
    assert.equal(jdk.loadEntity('class=java.lang.CharSequence,callable=charAt,instance_required', [H, I32], [T.metaffi_char16_type])(s, 1), 'o');
    // a JS string is a java.lang.String object: String methods take it as the instance
    const upper = jdk.loadEntity('class=java.lang.String,callable=toUpperCase,instance_required', [S], [S]);
    assert.equal(upper('straße 🎉'), 'STRASSE 🎉');
    assert.equal(jdk.loadEntity('class=java.lang.String,callable=indexOf,instance_required', [S, S], [I32])('hello', 'll'), 2);
    assert.equal(jdk.loadEntity('class=java.lang.Integer,callable=compareTo,instance_required', [I32, new MetaFFITypeInfo(A, 'java.lang.Integer')], [I32])(5, 7), -1);
    assert.throws(() => jdk.loadEntity('class=java.util.ArrayList,callable=size,instance_required', [S], [I32]), /first parameter type must be metaffi_handle_type/);
    const hash = jdk.loadEntity('class=java.util.HashMap,callable=<init>', null, [H])();
    jdk.loadEntity('class=java.util.Map,callable=put,instance_required', [H, A, A], [A])(hash, 'k', 'v');
    assert.equal(jdk.loadEntity('class=java.util.Map,callable=get,instance_required', [H, A], [A])(hash, 'k'), 'v');
  });
});

describe('openjdk overloads are chosen by the declared types', () => {
  const kind = (...types: (number | MetaFFITypeInfo)[]) => guest.loadEntity(`${G},callable=kind`, types, [S]);

  it('int32 vs int64, float32 vs float64, bool, char', () => {
    assert.equal(kind(I32)(1), 'int');
    assert.equal(kind(I64)(1), 'long');
    assert.equal(kind(F32)(1.5), 'float');
    assert.equal(kind(F64)(1.5), 'double');
    assert.equal(kind(T.metaffi_bool_type)(true), 'boolean');
    assert.equal(kind(T.metaffi_char16_type)('x'), 'char');
  });

  it('String vs Object vs arrays', () => {
    assert.equal(kind(S)('s'), 'String');
    assert.equal(kind(A)('s'), 'Object');
    assert.equal(kind(H)(null), 'Object');
    assert.equal(kind(T.metaffi_int32_array_type)([1]), 'int[]');
    assert.equal(kind(T.metaffi_int64_array_type)([1]), 'long[]');
    assert.equal(kind(T.metaffi_string8_array_type)(['a']), 'String[]');
  });

  it('narrowing (int64 declared for an int parameter) when nothing fits better, range-checked per call', () => {
    const add = guest.loadEntity(`${G},callable=add`, [I64, I64], [I64]);
    assert.equal(add(2, 3), 5);
    assert.throws(() => add(2 ** 40, 1), /does not fit a Java int/);
    assert.equal(guest.loadEntity(`${G},callable=echoFloat`, [F64], [F64])(0.5), 0.5);
    assert.throws(() => guest.loadEntity(`${G},callable=echoInt`, [F64], [I32]), /no method guest\.Guest\.echoInt takes/);
  });

  it('boxes: Integer vs Long', () => {
    assert.equal(guest.loadEntity(`${G},callable=pick`, [I32], [S])(1), 'Integer');
    assert.equal(guest.loadEntity(`${G},callable=pick`, [I64], [S])(1), 'Long');
  });

  it('an ambiguous choice lists the candidates; a type alias settles it', () => {
    assert.throws(() => guest.loadEntity(`${G},callable=twin`, [H], [S]), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.match(e.message, /fit several overloads of method guest\.Guest\.twin/);
      assert.match(e.message, /twin\(java\.lang\.StringBuilder\)/);
      assert.match(e.message, /twin\(java\.util\.List\)/);
      return true;
    });
    const twin = guest.loadEntity(`${G},callable=twin`, [new MetaFFITypeInfo(H, 'java.util.List')], [S]);
    const list = jvm.loadModule('java.base').loadEntity('class=java.util.ArrayList,callable=<init>', null, [H])();
    assert.equal(twin(list), 'twin(List)');
  });

  it('no matching overload lists the candidates', () => {
    assert.throws(() => guest.loadEntity(`${G},callable=kind`, [T.metaffi_float64_array_type, I32], [S]), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.match(e.message, /no method guest\.Guest\.kind takes the declared parameter types \(float64\[\], int32\)/);
      assert.match(e.message, /static kind\(int\)/);
      assert.match(e.message, /static kind\(java\.lang\.String\[\]\)/);
      return true;
    });
    assert.throws(() => guest.loadEntity(`${G},callable=add`, [I32], [I32]), /no method guest\.Guest\.add takes the declared parameter types \(int32\)/);
  });
});

describe('openjdk entity path errors', () => {
  it('unknown class, method and field', () => {
    assert.throws(() => guest.loadEntity('class=guest.Nope,callable=x'), /class 'guest\.Nope' not found/);
    assert.throws(() => guest.loadEntity(`${G},callable=nope`), /class guest\.Guest has no public method 'nope'/);
    assert.throws(() => guest.loadEntity(`${G},field=nope,getter`, null, [I32]), /has no field 'nope'/);
  });

  it('missing keys, unknown keys and tags list what is accepted', () => {
    assert.throws(() => guest.loadEntity('callable=noOp'), /missing class=\.\.\..*accept keys class, callable, field/);
    assert.throws(() => guest.loadEntity(`${G}`), /needs exactly one of callable=\.\.\. or field=\.\.\./);
    assert.throws(() => guest.loadEntity(`${G},method=noOp`), /unknown key 'method'/);
    assert.throws(() => guest.loadEntity(`${G},callable=noOp,varargs`), /unknown tag 'varargs'/);
    assert.throws(() => guest.loadEntity(`${G},field=counter`, null, [I32]), /needs the tag getter or setter/);
  });

  it('static vs instance mismatches say what to change', () => {
    assert.throws(() => guest.loadEntity(`${G},callable=greet`, [S], [S]), /instance method: add instance_required/);
    assert.throws(() => guest.loadEntity(`${G},callable=noOp,instance_required`, [H]), /static: remove instance_required/);
    assert.throws(() => guest.loadEntity(`${G},field=name,getter`, null, [S]), /instance field: add instance_required/);
    assert.throws(() => guest.loadEntity(`${G},callable=greet,instance_required`, [S, S], [S]), /first parameter type must be metaffi_handle_type/);
    assert.throws(() => guest.loadEntity(`${G},callable=noOp`, null, [I32]), /returns void, but 1 return type/);
  });

  it('wrong objects and argument counts are TypeErrors, not crashes', () => {
    const greet = guest.loadEntity(`${G},callable=greet,instance_required`, [H, S], [S]);
    const list = jvm.loadModule('java.base').loadEntity('class=java.util.ArrayList,callable=<init>', null, [H])();
    assert.throws(() => greet(list, 'x'), (e: unknown) => e instanceof MetaFFIError && /expected a guest\.Guest object, got a java\.util\.ArrayList/.test(e.message));
    assert.throws(() => greet(null, 'x'), /instance_required: expected the Java object/);
    assert.throws(() => greet({}, 'x'), /a handle of another runtime/);
    assert.throws(() => greet(), TypeError);
    const nameOf = guest.loadEntity(`${G},callable=nameOf`, [H], [S]);
    assert.throws(() => nameOf(list), /expected a guest\.Guest, got a Java object \(java\.util\.ArrayList\)/);
    assert.throws(() => guest.loadEntity(`${G},callable=add`, [I32, I32], [I32])(1, 'x'), TypeError);
  });
});
