import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIHandle } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { collectGarbage } from '../support/gc.js';

const runtime = new MetaFFIRuntime('python3');
const guest = runtime.loadModule(fixture('python', 'guest.py'));
const F64 = T.metaffi_float64_type;
const H = T.metaffi_handle_type;
const I64 = T.metaffi_int64_type;
const newPoint = guest.loadEntity('callable=Point', [F64, F64], [H]);
const track = guest.loadEntity('callable=track', [H], [I64]);
const isAlive = guest.loadEntity('callable=is_alive', [I64], [T.metaffi_bool_type]);

describe('python3 handles', () => {
  it('describe themselves', () => {
    const p = newPoint(1, 2) as MetaFFIHandle;
    assert.equal(p.runtime, 'python3');
    assert.equal(p.foreignType, 'guest.Point');
    assert.equal(String(p), 'MetaFFIHandle(python3 guest.Point)');
    assert.equal(p.released, false);
  });

  it('release() drops the Python reference at once; calling it twice does nothing', () => {
    const p = newPoint(1, 2) as MetaFFIHandle;
    const key = track(p);
    assert.equal(isAlive(key), true);
    p.release();
    assert.equal(p.released, true);
    assert.equal(isAlive(key), false);
    p.release();
    const norm2 = guest.loadEntity('callable=Point.norm2,instance_required', [H], [F64]);
    assert.throws(() => norm2(p), { name: 'TypeError', message: /argument 1: the handle was released/ });
  });

  it('`using` releases at the end of the block', () => {
    let key: number;
    {
      using p = newPoint(3, 4) as MetaFFIHandle;
      key = track(p) as number;
      assert.equal(isAlive(key), true);
    }
    assert.equal(isAlive(key), false);
  });

  it('garbage collection of the JS wrapper releases the Python object', async () => {
    let key = -1;
    (() => {
      const p = newPoint(5, 6);
      key = track(p) as number;
    })();
    assert.equal(isAlive(key), true);
    await collectGarbage();
    assert.equal(isAlive(key), false);
  });

  it('a Python object stored in Python outlives its JS handle', async () => {
    const store = guest.loadEntity('callable=store', [H], [I64]);
    const stored = guest.loadEntity('callable=stored', [I64], [H]);
    const norm2 = guest.loadEntity('callable=Point.norm2,instance_required', [H], [F64]);
    let index = -1;
    (() => { index = (store(newPoint(1, 1)) as number) - 1; })();
    await collectGarbage();
    assert.equal(norm2(stored(index)), 2);
  });

  it('a JS object lent to Python stays alive while Python holds it', async () => {
    const store = guest.loadEntity('callable=store', [H], [I64]);
    const stored = guest.loadEntity('callable=stored', [I64], [H]);
    let index = -1;
    (() => { index = (store({ marker: 'kept' }) as number) - 1; })();
    await collectGarbage();
    assert.deepEqual(stored(index), { marker: 'kept' });
  });

  it('a JS function lent to Python stays callable while Python holds it', async () => {
    const store = guest.loadEntity('callable=store', [T.metaffi_callable_type], [I64]);
    const stored = guest.loadEntity('callable=stored', [I64], [T.metaffi_callable_type]);
    const twice = guest.loadEntity('callable=call_twice', [T.metaffi_callable_type, T.metaffi_any_type], [T.metaffi_any_type]);
    let index = -1;
    (() => { index = (store((x: number) => x + 7) as number) - 1; })();
    await collectGarbage();
    const fn = stored(index) as (x: number) => number;
    assert.equal(fn(1), 8);
    assert.equal(twice(fn, 0), 14);
  });
});

describe('python3 references through callbacks', () => {
  it('objects passed to JS callbacks and returned from them are neither leaked nor lost', async () => {
    const apply = guest.loadEntity('callable=call_with,varargs', [T.metaffi_callable_type, T.metaffi_any_array_type], [T.metaffi_any_type]);
    const refcount = guest.loadEntity('callable=refcount', [H], [I64]);
    const p = newPoint(1, 2) as MetaFFIHandle;
    const before = refcount(p) as number;
    const roundTrips = () => {
      for (let i = 0; i < 1000; i++) {
        const back = apply((q: MetaFFIHandle) => q, [p]) as MetaFFIHandle;
        assert.ok(back instanceof MetaFFIHandle);
        const pair = apply((q: MetaFFIHandle) => [q, { q }], [p]) as unknown[];
        assert.equal(pair.length, 2);
      }
    };
    roundTrips();
    await collectGarbage();
    assert.equal(refcount(p), before);
    const key = track(p);
    p.release();
    await collectGarbage();
    assert.equal(isAlive(key), false);
  });
});

describe('python3 objects the core wraps, and objects it does not', () => {
  const echoH = guest.loadEntity('callable=echo', [H], [H]);
  const echoA = guest.loadEntity('callable=echo', [T.metaffi_any_type], [T.metaffi_any_type]);
  const twice = guest.loadEntity('callable=call_twice', [T.metaffi_callable_type, T.metaffi_any_type], [T.metaffi_any_type]);
  const isSame = guest.loadEntity('callable=is_same', [H, H], [T.metaffi_bool_type]);

  it('a loaded entity is a JS function like any other: lent as a callable, a handle or any', () => {
    const mul = guest.loadEntity('callable=multiply', [I64, I64], [I64]);
    const inc = guest.loadEntity('callable=multiply', [I64, I64], [I64]);
    assert.equal(echoH(mul), mul); // lent by reference, back as itself
    assert.equal(echoA(mul), mul);
    assert.equal(twice((x: number) => inc(x, 3), 1), 9);
    const square = guest.loadEntity('callable=echo', [I64], [I64]);
    assert.equal(twice(square, 5), 5); // Python calls the entity, which calls Python again
    assert.equal(mul(6, 7), 42); // the entity itself still works
  });

  it('a handle, a foreign function and a lent JS object each come back as what they are', () => {
    const p = newPoint(1, 2) as MetaFFIHandle;
    assert.equal(isSame(p, echoH(p)), true);
    const makeAdder = guest.loadEntity('callable=make_adder', [I64], [T.metaffi_callable_type]);
    const add2 = makeAdder(2) as (x: number) => number;
    assert.equal(twice(add2, 1), 5);
    const obj = { a: 1 };
    assert.equal(echoH(obj), obj);
    assert.equal(echoH(obj), obj); // the second crossing reuses the object's record
    const fn = (x: number) => x * 2;
    assert.equal(twice(fn, 3), 12);
    assert.equal(twice(fn, 4), 16);
    assert.equal(echoA(fn), fn);
  });

  it('many short-lived JS objects and functions lent to Python are all collected', async () => {
    for (let i = 0; i < 20000; i++) {
      const o = { i };
      assert.equal(echoH(o), o);
      assert.equal(twice((x: number) => x + i, 0), 2 * i);
    }
    await collectGarbage();
    const o = { last: true };
    assert.equal(echoH(o), o); // the core's set of live records stays consistent after collection
  });
});

describe('python3 handle parameters passed again and again', () => {
  const norm2 = guest.loadEntity('callable=Point.norm2,instance_required', [H], [F64]);

  it('the same handle many times, then released: the next call is a TypeError', () => {
    const p = newPoint(3, 4) as MetaFFIHandle;
    for (let i = 0; i < 100; i++) assert.equal(norm2(p), 25);
    const q = newPoint(1, 1) as MetaFFIHandle;
    assert.equal(norm2(q), 2);
    assert.equal(norm2(p), 25);
    p.release();
    assert.throws(() => norm2(p), { name: 'TypeError', message: /argument 1: the handle was released/ });
    assert.equal(norm2(q), 2);
    assert.throws(() => norm2(p), { name: 'TypeError', message: /argument 1: the handle was released/ });
  });

  it('a handle passed last is not kept alive by the core', async () => {
    let key = 0;
    let weak: WeakRef<object> | undefined;
    (() => {
      const p = newPoint(6, 8) as MetaFFIHandle;
      weak = new WeakRef(p);
      key = track(p) as number;
      assert.equal(norm2(p), 100);
    })();
    await collectGarbage();
    await collectGarbage();
    assert.equal(weak!.deref(), undefined);
    assert.equal(isAlive(key), false);
    const r = newPoint(0, 2) as MetaFFIHandle;
    assert.equal(norm2(r), 4);
  });

  it('the same lent JS object many times keeps its identity', () => {
    const echoH = guest.loadEntity('callable=echo', [H], [H]);
    const obj = { k: 1 };
    for (let i = 0; i < 100; i++) assert.equal(echoH(obj), obj);
    const other = { k: 2 };
    assert.equal(echoH(other), other);
    assert.equal(echoH(obj), obj);
  });
});
