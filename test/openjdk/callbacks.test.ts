import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, makeMetaFFICallable } from 'metaffi';
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

describe('openjdk: JS functions as Java functional interfaces', () => {
  it('IntBinaryOperator', () => {
    const applyInt = fn('applyInt', [C, I32, I32], [I32]);
    assert.equal(applyInt((a: number, b: number) => a * b + 1, 6, 7), 43);
  });

  it('java.util.function.Function, Runnable and Supplier', () => {
    assert.equal(fn('applyFunction', [C, A], [A])((x: string) => x + '!', 'hey'), 'hey!');
    assert.equal(fn('applyFunction', [C, A], [A])((x: number) => x * 2, 21), 42);
    let ran = 0;
    fn('runIt', [C], null)(() => { ran++; });
    assert.equal(ran, 1);
    assert.equal(fn('getIt', [C], [S])(() => 'supplied 🎉'), 'supplied 🎉');
  });

  it('a user interface with a default method, and a Comparator', () => {
    assert.equal(fn('useShaper', [C, S], [I32])((t: string, n: number) => t.repeat(n), 'ab'), 6);
    assert.equal(fn('shapeWith', [C, S, I32], [S])(makeMetaFFICallable((t: string, n: number) => `${t}x${n}`, [S, I32], [S]), 'q', 4), 'qx4');
    const jdk = jvm.loadModule('java.base');
    const list = jdk.loadEntity('class=java.util.ArrayList,callable=<init>', null, [H])();
    const add = jdk.loadEntity('class=java.util.List,callable=add,instance_required', [H, A], [T.metaffi_bool_type]);
    for (const w of ['pear', 'fig', 'banana']) add(list, w);
    fn('sortWith', [H, C], null)(list, (a: string, b: string) => a.length - b.length);
    assert.equal(jdk.loadEntity('class=java.util.List,callable=toString,instance_required', [H], [S])(list), '[fig, pear, banana]');
  });

  it('a JS function Java stores as an Object comes back as the same function', () => {
    const f = (x: number) => x + 1;
    assert.equal(fn('holdCallback', [A], [A])(f), f);
  });

  it('a JS exception inside a callback becomes a Java exception Java can catch', () => {
    const caught = fn('catchCallback', [C], [S])(() => { throw new TypeError('bad thing'); });
    assert.equal(caught, 'caught metaffi.jvm.ForeignException: TypeError: bad thing');
  });

  it('an uncaught JS exception comes back to the JS caller with the original as cause', () => {
    const original = new RangeError('from js');
    assert.throws(() => fn('applyInt', [C, I32, I32], [I32])(() => { throw original; }, 1, 2), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.match(e.message, /RangeError: from js/);
      assert.equal((e as { cause?: unknown }).cause, original);
      return true;
    });
  });

  it('a callback returning the wrong type is a Java exception, not a crash', () => {
    assert.throws(() => fn('applyInt', [C, I32, I32], [I32])(() => 'not a number', 1, 2), (e: unknown) =>
      e instanceof MetaFFIError && /ClassCastException/.test(e.message));
  });

  it('callbacks from a Java thread while the JS thread waits in Java fail clearly', () => {
    assert.throws(() => fn('fromThread', [C], [I32])((a: number, b: number) => a + b), (e: unknown) =>
      e instanceof MetaFFIError && /foreign thread while the JS thread/.test(`${e.message} ${e.foreignStack}`));
  });

  it('callbacks from a Java thread run when the JS thread is free', async () => {
    fn('startBackground', [C], null)((a: number, b: number) => a * b);
    const result = fn('backgroundResult', null, [I32]);
    // Poll often: a callback that arrives while the JS thread is inside a short Java call
    // waits for the JS thread to get back to its event loop.
    for (let i = 0; i < 10_000 && result() === -1; i++) {
      for (let k = 0; k < 20; k++) result();
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(result(), 42);
  });

  it('callbacks can call back into Java', () => {
    const echo = fn('echoString', [S], [S]);
    assert.equal(fn('getIt', [C], [S])(() => echo('nested ✓')), 'nested ✓');
  });
});

describe('openjdk: Java functional objects as JS functions', () => {
  it('a returned IntBinaryOperator, Function and user interface are callable', () => {
    const times3 = fn('multiplier', [I32], [C])(3) as (a: number, b: number) => number;
    assert.equal(typeof times3, 'function');
    assert.equal(times3(2, 5), 30);
    const pre = fn('prefixer', [S], [C])('>> ') as (s: string) => string;
    assert.equal(pre('line'), '>> line');
    const rep = fn('repeater', null, [C])() as (t: string, n: number) => string;
    assert.equal(rep('ab', 3), 'ababab');
  });

  it('declared any: a functional interface return type also gives a function', () => {
    const times = fn('multiplier', [I32], [A])(2) as (a: number, b: number) => number;
    assert.equal(times(3, 4), 24);
  });

  it('a Java function passed back to Java is the same object', () => {
    const times = fn('multiplier', [I32], [C])(5);
    assert.equal(fn('applyInt', [C, I32, I32], [I32])(times, 2, 3), 30);
  });

  it('Java exceptions from a returned function are MetaFFIErrors; wrong arity is reported', () => {
    const pre = fn('prefixer', [S], [C])('p') as (s: unknown) => string;
    assert.equal(pre(null), 'pnull');
    const times = fn('multiplier', [I32], [C])(2) as (a: unknown, b: unknown) => number;
    assert.throws(() => times('x', 1), (e: unknown) => e instanceof MetaFFIError && e.foreignType === 'java.lang.ClassCastException');
    assert.throws(() => times(null, 1), (e: unknown) => e instanceof MetaFFIError && /null given where Java expects int/.test(e.message));
    assert.throws(() => (pre as unknown as (a: string, b: string) => string)('a', 'b'), /takes 1 argument/);
  });
});
