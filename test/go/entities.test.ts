import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, MetaFFIHandle, type MetaFFIModule } from 'metaffi';
import { goGuest } from './guests.js';

let guest: MetaFFIModule;
before(() => {
  guest = new MetaFFIRuntime('go').loadModule(goGuest('guest'));
});

const H = T.metaffi_handle_type;
const F = T.metaffi_float64_type;

describe('go entity paths', () => {
  it('callable=Type.Method with instance_required: pointer and value receivers', () => {
    const newPoint = guest.loadEntity('callable=NewPoint', [F, F], [H]);
    const move = guest.loadEntity('callable=Point.Move,instance_required', [H, F, F], null);
    const dist = guest.loadEntity('callable=Point.Dist,instance_required', [H], [F]);
    const str = guest.loadEntity('callable=Point.String,instance_required', [H], [T.metaffi_string8_type]);
    const p = newPoint(1, 2);
    move(p, 2, 2);
    assert.equal(dist(p), 9 + 16);
    assert.equal(str(p), '(3, 4)');
  });

  it('a struct returned by value becomes a handle whose methods and fields work', () => {
    const origin = guest.loadEntity('callable=Origin', null, [H]);
    const name = guest.loadEntity('field=Point.Name,getter,instance_required', [H], [T.metaffi_string8_type]);
    const move = guest.loadEntity('callable=Point.Move,instance_required', [H, F, F], null);
    const getX = guest.loadEntity('field=Point.X,getter,instance_required', [H], [F]);
    const o = origin();
    assert.equal(name(o), 'origin');
    move(o, 5, 0);
    assert.equal(getX(o), 5);
    const mid = guest.loadEntity('callable=Midpoint', [H, H], [H]); // *Point and Point parameters
    assert.equal(getX(mid(o, o)), 5);
  });

  it('callable=new(Type) makes a zero value', () => {
    const make = guest.loadEntity('callable=new(Point)', null, [H]);
    const getY = guest.loadEntity('field=Point.Y,getter,instance_required', [H], [F]);
    const p = make();
    assert.equal(p.foreignType, '*guest.Point');
    assert.equal(getY(p), 0);
  });

  it('field=Type.Field with getter and setter', () => {
    const make = guest.loadEntity('callable=new(Point)', null, [H]);
    const setY = guest.loadEntity('field=Point.Y,setter,instance_required', [H, F], null);
    const getY = guest.loadEntity('field=Point.Y,getter,instance_required', [H], [F]);
    const setName = guest.loadEntity('field=Point.Name,setter,instance_required', [H, T.metaffi_string8_type], null);
    const getName = guest.loadEntity('field=Point.Name,getter,instance_required', [H], [T.metaffi_string8_type]);
    const p = make();
    setY(p, 7.5);
    setName(p, 'seven');
    assert.equal(getY(p), 7.5);
    assert.equal(getName(p), 'seven');
  });

  it('promoted methods and fields of embedded structs', () => {
    const make = guest.loadEntity('callable=new(Derived)', null, [H]);
    const setID = guest.loadEntity('field=Derived.ID,setter,instance_required', [H, T.metaffi_int64_type], null);
    const describe = guest.loadEntity('callable=Derived.Describe,instance_required', [H], [T.metaffi_string8_type]);
    const setExtra = guest.loadEntity('field=Derived.Extra,setter,instance_required', [H, T.metaffi_string8_type], null);
    const getExtra = guest.loadEntity('field=Derived.Extra,getter,instance_required', [H], [T.metaffi_string8_type]);
    const d = make();
    setID(d, 12);
    setExtra(d, 'more');
    assert.equal(describe(d), 'base 12');
    assert.equal(getExtra(d), 'more');
  });

  it('methods of a named basic type and of an interface', () => {
    const colorName = guest.loadEntity('callable=Color.Name,instance_required', [T.metaffi_int64_type], [T.metaffi_string8_type]);
    assert.equal(colorName(1), 'green');
    const newShape = guest.loadEntity('callable=NewShape', [F], [H]);
    const area = guest.loadEntity('callable=Shape.Area,instance_required', [H], [F]);
    const areaOf = guest.loadEntity('callable=AreaOf', [H], [F]);
    const s = newShape(3);
    assert.equal(area(s), 9);
    assert.equal(areaOf(s), 9);
    const square = guest.loadEntity('callable=new(Square)', null, [H]);
    assert.equal(areaOf(square()), 0); // a *Square implements Shape too
  });

  it('method calls work without the instance_required tag too', () => {
    const make = guest.loadEntity('callable=new(Point)', null, [H]);
    const dist = guest.loadEntity('callable=Point.Dist', [H], [F]);
    assert.equal(dist(make()), 0);
  });

  it('global=Name with getter and setter', () => {
    const get = guest.loadEntity('global=Counter,getter', null, [T.metaffi_int64_type]);
    const set = guest.loadEntity('global=Counter,setter', [T.metaffi_int64_type], null);
    assert.equal(get(), 7);
    set(99);
    assert.equal(get(), 99);
    const greeting = guest.loadEntity('global=Greeting,getter', null, [T.metaffi_string8_type]);
    assert.equal(greeting(), 'hi');
  });

  it('a func-typed global: read it and replace it with a JS function', () => {
    const get = guest.loadEntity('global=Handler,getter', null, [T.metaffi_callable_type]);
    const set = guest.loadEntity('global=Handler,setter', [T.metaffi_callable_type], null);
    assert.equal(get()(1), 2);
    set((x: number) => x * 100);
    assert.equal(get()(3), 300);
  });

  it('constants have a getter only', () => {
    assert.equal(guest.loadEntity('global=Pi,getter', null, [F])(), 3.14159);
    assert.equal(guest.loadEntity('global=Answer,getter', null, [T.metaffi_int64_type])(), 42);
    assert.equal(guest.loadEntity('global=Version,getter', null, [T.metaffi_string8_type])(), '1.2.3');
    assert.equal(guest.loadEntity('global=Green,getter', null, [T.metaffi_int64_type])(), 1);
    assert.throws(() => guest.loadEntity('global=Pi,setter', [F], null),
      (e: unknown) => e instanceof MetaFFIError && /Pi is a Go constant: it has a getter only/.test(e.message));
  });

  it('handles describe their Go type, release explicitly, and fail cleanly after release', () => {
    const newPoint = guest.loadEntity('callable=NewPoint', [F, F], [H]);
    const getX = guest.loadEntity('field=Point.X,getter,instance_required', [H], [F]);
    const p = newPoint(1, 1);
    assert.ok(p instanceof MetaFFIHandle);
    assert.equal(p.runtime, 'go');
    assert.equal(p.foreignType, '*guest.Point');
    assert.equal(String(p), 'MetaFFIHandle(go *guest.Point)');
    p.release();
    p.release();
    assert.equal(p.released, true);
    assert.throws(() => getX(p), /released/);
    {
      using q = newPoint(2, 2);
      assert.equal(getX(q), 2);
    }
  });

  it('a null object is a clear error, not a crash', () => {
    const getX = guest.loadEntity('field=Point.X,getter,instance_required', [H], [F]);
    assert.throws(() => getX(null), /Point.X: the object \(argument 1\) is null/);
    const dist = guest.loadEntity('callable=Point.Dist,instance_required', [H], [F]);
    assert.throws(() => dist(null), (e: unknown) => e instanceof MetaFFIError && /nil pointer/.test(e.message));
  });

  it('a handle of the wrong Go type is a TypeError-like MetaFFIError', () => {
    const table = guest.loadEntity('callable=Table', null, [H]);
    const dist = guest.loadEntity('callable=Point.Dist,instance_required', [H], [F]);
    assert.throws(() => dist(table()), /expected a Go \*guest.Point, got a handle of Go map\[string\]int/);
  });
});

describe('go entities loaded many times', () => {
  it('loading the same entity in a loop works (instances are freed and reused)', async () => {
    const { collectGarbage } = await import('../support/gc.js');
    let last = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5000; i++) {
        const add = guest.loadEntity('callable=Add', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
        last = add(i, round);
      }
      await collectGarbage();
    }
    assert.equal(last, 4999 + 3);
  });
});

describe('go entity path errors', () => {
  it('an unknown function lists what the guest has', () => {
    assert.throws(() => guest.loadEntity('callable=Nope', null, null), (e: unknown) =>
      e instanceof MetaFFIError && /the Go guest has no function or method Nope; it has \[.*Add.*\]/.test(e.message));
  });

  it('unknown fields and globals', () => {
    assert.throws(() => guest.loadEntity('field=Point.Z,getter', [H], [F]), /no struct field Point.Z/);
    assert.throws(() => guest.loadEntity('global=Nope,getter', null, [F]), /no package variable or constant Nope/);
  });

  it('unknown keys and tags list what is accepted', () => {
    assert.throws(() => guest.loadEntity('class=X', null, null), /go entity paths accept keys callable, global, field and tags instance_required, getter, setter/);
    assert.throws(() => guest.loadEntity('callable=Add,varargs', null, null), /unknown tag 'varargs'/);
    assert.throws(() => guest.loadEntity('callable=Add,global=Counter', null, null), /needs exactly one of/);
  });

  it('global= and field= need getter or setter', () => {
    assert.throws(() => guest.loadEntity('global=Counter', null, [T.metaffi_int64_type]), /say getter or setter/);
  });

  it('a wrong number of declared parameters or results names the Go signature', () => {
    assert.throws(() => guest.loadEntity('callable=Add', [T.metaffi_int64_type], [T.metaffi_int64_type]),
      /Add takes 2 parameters in Go \(\(a int, b int\) int\); 1 declared/);
    assert.throws(() => guest.loadEntity('callable=Divide', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type, T.metaffi_int64_type]),
      /Divide returns 1 value in Go .*a trailing error becomes a thrown MetaFFIError/);
    assert.throws(() => guest.loadEntity('callable=Point.Move,instance_required', [F, F], null), /the object first/);
  });

  it('a declared type that cannot hold the Go type says what to declare', () => {
    assert.throws(() => guest.loadEntity('callable=Add', [T.metaffi_string8_type, T.metaffi_int64_type], [T.metaffi_int64_type]),
      /Add parameter 1 is Go int, which cannot take string8; declare metaffi_int64_type/);
    assert.throws(() => guest.loadEntity('callable=Words', [T.metaffi_string8_type], [T.metaffi_string8_type]),
      /Words result 1 is Go \[\]string, which does not convert to string8; declare metaffi_string8_array_type/);
  });

  it('wrong arguments at call time are TypeErrors', () => {
    const add = guest.loadEntity('callable=Add', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    assert.throws(() => add(1), TypeError);
    assert.throws(() => add('1', 2), TypeError);
    assert.throws(() => add(1.5, 2), TypeError);
  });

  it('a missing guest library names what was tried and how to build one', () => {
    const rt = new MetaFFIRuntime('go');
    assert.throws(() => rt.loadModule('/nowhere/lib_MetaFFIGuest'), (e: unknown) =>
      e instanceof MetaFFIError && /no Go guest library at \/nowhere\/lib_MetaFFIGuest \(also tried \/nowhere\/lib_MetaFFIGuest.so\)/.test(e.message) &&
      /metaffi -c --idl <file.go> -g go/.test(e.message));
    assert.throws(() => rt.loadModule('hello.go'), /build the guest library first with `metaffi -c --idl hello.go -g go`/);
  });
});
