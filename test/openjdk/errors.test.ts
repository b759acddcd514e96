import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, MetaFFIHandle } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { guestClasses } from '../support/java.js';

const S = T.metaffi_string8_type;
const I32 = T.metaffi_int32_type;
const A = T.metaffi_any_type;
const H = T.metaffi_handle_type;
const C = T.metaffi_callable_type;

const jvm = new MetaFFIRuntime('openjdk');
const guest = jvm.loadModule(guestClasses());
const fn = (name: string, params: number[] | null, rets: number[] | null) =>
  guest.loadEntity(`class=guest.Guest,callable=${name}`, params, rets);

describe('openjdk exceptions', () => {
  it('a Java exception is a MetaFFIError with its class, message and Java stack trace', () => {
    assert.throws(() => fn('fail', [S], null)('broken ✗ 🎉'), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.message, 'java.lang.IllegalStateException: broken ✗ 🎉');
      assert.equal(e.foreignType, 'java.lang.IllegalStateException');
      assert.equal(e.runtime, 'openjdk');
      assert.match(e.foreignStack ?? '', /^java\.lang\.IllegalStateException: broken/);
      assert.match(e.foreignStack ?? '', /at guest\.Guest\.fail\(Guest\.java:\d+\)/);
      return true;
    });
  });

  it('checked exceptions, NullPointerException and exceptions in constructors', () => {
    assert.throws(() => fn('checked', null, null)(), (e: unknown) => e instanceof MetaFFIError && e.foreignType === 'java.io.IOException' && /checked failure/.test(e.message));
    assert.throws(() => fn('npe', [S], [I32])(null), (e: unknown) => e instanceof MetaFFIError && e.foreignType === 'java.lang.NullPointerException');
    const newGuest = guest.loadEntity('class=guest.Guest,callable=<init>', [S], [H]);
    assert.throws(() => newGuest(null), (e: unknown) => e instanceof MetaFFIError && e.foreignType === 'java.lang.NullPointerException');
    const jdk = jvm.loadModule('java.base');
    const parse = jdk.loadEntity('class=java.lang.Integer,callable=parseInt', [S], [I32]);
    assert.equal(parse('123'), 123);
    assert.throws(() => parse('12x'), (e: unknown) => e instanceof MetaFFIError && e.foreignType === 'java.lang.NumberFormatException' && /12x/.test(e.message));
  });

  it('a failing static initializer keeps its Java type', () => {
    assert.throws(() => guest.loadEntity('class=guest.BadInit,callable=value', null, [I32]), (e: unknown) =>
      e instanceof MetaFFIError && e.foreignType === 'java.lang.ExceptionInInitializerError' && /NumberFormatException/.test(e.foreignStack ?? ''));
  });

  it('a Java function is also an object: its methods can be called on it', () => {
    const times = fn('multiplier', [I32], [C])(2);
    const applyAsInt = jvm.loadModule('java.base').loadEntity('class=java.util.function.IntBinaryOperator,callable=applyAsInt,instance_required', [H, I32, I32], [I32]);
    assert.equal(applyAsInt(times, 3, 4), 24);
  });

  it('the process goes on after many exceptions', () => {
    const fail = fn('fail', [S], null);
    for (let i = 0; i < 2000; i++) assert.throws(() => fail(`n${i}`), MetaFFIError);
    assert.equal(fn('add', [I32, I32], [I32])(1, 1), 2);
  });
});

describe('openjdk with python3 in one process', () => {
  const py = new MetaFFIRuntime('python3').loadModule(fixture('python', 'guest.py'));

  it('a Python object passes through Java intact, and a Java object through Python', () => {
    const point = py.loadEntity('callable=Point', [T.metaffi_float64_type, T.metaffi_float64_type], [H])(3, 4) as MetaFFIHandle;
    const back = fn('echoObject', [A], [A])(point);
    assert.ok(back instanceof MetaFFIHandle);
    assert.equal(back.runtime, 'python3');
    const norm2 = py.loadEntity('callable=Point.norm2,instance_required', [H], [T.metaffi_float64_type]);
    assert.equal(norm2(back), 25);
    const g = guest.loadEntity('class=guest.Guest,callable=<init>', [S], [H])('Tess');
    const pyEcho = py.loadEntity('callable=echo', [A], [A]);
    assert.equal(fn('nameOf', [H], [S])(pyEcho(g)), 'Tess');
  });

  it('a Python function implements a Java functional interface; a Java function is called from Python', () => {
    const adder = py.loadEntity('callable=make_adder', [T.metaffi_int64_type], [C])(10);
    assert.equal(fn('applyInt', [C, I32, I32], [I32])(
      (a: number, b: number) => (adder as (x: number) => number)(a + b), 1, 2), 13);
    assert.equal(fn('applyFunction', [C, A], [A])(adder, 5), 15);
    const times = fn('multiplier', [I32], [C])(3);
    const callTwice = py.loadEntity('callable=call_with,varargs', [C, T.metaffi_any_array_type], [A]);
    assert.equal(callTwice(times, [2, 5]), 30);
  });
  it('Python threads call Java functions: attached on first use, detached when they end', () => {
    const pre = fn('prefixer', [S], [C])('py-thread: ');
    const callInThread = py.loadEntity('callable=call_in_thread', [C, A], [A]);
    for (let i = 0; i < 20; i++) assert.equal(callInThread(pre, `${i}`), `py-thread: ${i}`);
    const threads = jvm.loadModule('java.base').loadEntity('class=java.lang.Thread,callable=activeCount', null, [I32]);
    assert.ok(threads() < 40, `${threads()} Java threads: foreign threads were not detached`);
  });
});

// Last: releasing the runtime invalidates the modules loaded above.
describe('openjdk runtime release', () => {
  it('a released handle cannot be used; release twice does nothing', () => {
    const make = fn('multiplier', [I32], [H]);
    const h = make(1) as MetaFFIHandle;
    h.release();
    h.release();
    assert.equal(h.released, true);
    assert.throws(() => fn('echoObject', [A], [A])(h), { name: 'TypeError', message: /released/ });
  });
  it('entities, handles and functions fail cleanly after release; load again works', () => {
    const rt = new MetaFFIRuntime('openjdk');
    rt.loadRuntimePlugin();
    rt.loadRuntimePlugin();
    const mod = rt.loadModule(guestClasses());
    const add = mod.loadEntity('class=guest.Guest,callable=add', [I32, I32], [I32]);
    const make = mod.loadEntity('class=guest.Guest,callable=<init>', [S], [H]);
    const times = mod.loadEntity('class=guest.Guest,callable=multiplier', [I32], [C])(2) as (a: number, b: number) => number;
    const g = make('x') as MetaFFIHandle;
    assert.equal(add(1, 2), 3);
    rt.releaseRuntimePlugin();
    assert.throws(() => add(1, 2), { name: 'MetaFFIError', message: /guest\.Guest\.add: the openjdk runtime was released/ });
    assert.throws(() => times(1, 2), { name: 'MetaFFIError', message: /released with its runtime/ });
    assert.equal(g.released, true);
    assert.throws(() => mod.loadEntity('class=guest.Guest,callable=add', [I32, I32], [I32]), /released; call loadRuntimePlugin/);
    assert.throws(() => rt.releaseRuntimePlugin(), /already released/);
    g.release();
    rt.loadRuntimePlugin(); // the same JVM, usable again
    const again = rt.loadModule(guestClasses());
    assert.equal(again.loadEntity('class=guest.Guest,callable=add', [I32, I32], [I32])(2, 2), 4);
    const nameOf = again.loadEntity('class=guest.Guest,callable=nameOf', [H], [S]);
    assert.throws(() => nameOf(g), { name: 'TypeError', message: /released/ });
  });

});
