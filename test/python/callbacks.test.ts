import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, makeMetaFFICallable } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { collectGarbage } from '../support/gc.js';

const runtime = new MetaFFIRuntime('python3');
const guest = runtime.loadModule(fixture('python', 'guest.py'));
const C = T.metaffi_callable_type;
const A = T.metaffi_any_type;
const I64 = T.metaffi_int64_type;
const S = T.metaffi_string8_type;

describe('python3 callbacks: JS functions called from Python', () => {
  it('calls a JS function with natural values', () => {
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    assert.equal(twice((x: number) => x * 10, 3), 300);
    assert.equal(twice((s: string) => s + '!', 'hey'), 'hey!!');
  });

  it('passes many arguments and returns arrays and objects', () => {
    const callWith = guest.loadEntity('callable=call_with,varargs', [C, T.metaffi_any_array_type], [A]);
    assert.deepEqual(callWith((a: number, b: string, c: boolean) => ({ a, b, c }), [1, 'x', true]), { a: 1, b: 'x', c: true });
    assert.equal(callWith(() => undefined, []), null);
    const applyEach = guest.loadEntity('callable=apply_each', [C, T.metaffi_int64_array_type], [T.metaffi_int64_array_type]);
    assert.deepEqual(applyEach((v: number) => v * v, [1, 2, 3]), [1, 4, 9]);
  });

  it('declared return types convert the callback result', () => {
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    const callWith = guest.loadEntity('callable=call_with,varargs', [C, T.metaffi_any_array_type], [A]);
    const half = makeMetaFFICallable((x: number) => x / 2, [T.metaffi_float64_type], [T.metaffi_float64_type]);
    assert.equal(twice(half, 8), 2);
    const asInt = makeMetaFFICallable(() => 5, [], [T.metaffi_int32_type]);
    assert.equal(callWith(asInt, []), 5);
    const bad = makeMetaFFICallable(() => 'nope', [], [T.metaffi_int32_type]);
    assert.throws(() => callWith(bad, []), { name: 'MetaFFIError', message: /TypeError.*wrong value.*int32/ });
    assert.throws(() => makeMetaFFICallable(42 as unknown as () => void), TypeError);
  });

  it('a JS exception in a callback becomes a Python exception Python can catch', () => {
    const callAndCatch = guest.loadEntity('callable=call_and_catch', [C], [S]);
    assert.equal(callAndCatch(() => { throw new RangeError('too far'); }), 'caught JSError: RangeError: too far');
  });

  it('an uncaught JS exception comes back to the JS caller with its message and the original as cause', () => {
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    const original = new TypeError('bad callback');
    assert.throws(() => twice(() => { throw original; }, 1), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.message, 'TypeError: bad callback');
      assert.equal(e.cause, original);
      assert.match(e.foreignStack ?? '', /call_twice/);
      return true;
    });
    assert.throws(() => twice(() => { throw 'a string'; }, 1), { name: 'MetaFFIError', message: /a string/ });
  });

  it('callbacks may call back into Python (re-entrancy)', () => {
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    const mul = guest.loadEntity('callable=multiply', [I64, I64], [I64]);
    assert.equal(twice((x: number) => mul(x, 3), 2), 18);
    assert.equal(twice((x: number) => twice((y: number) => y + 1, x), 0), 4);
  });
});

describe('python3 callables returned to JS', () => {
  it('a Python function becomes a JS function', () => {
    const makeAdder = guest.loadEntity('callable=make_adder', [I64], [C]);
    const add5 = makeAdder(5);
    assert.equal(typeof add5, 'function');
    assert.equal(add5(10), 15);
    assert.equal(add5(-5), 0);
  });

  it('errors raised by a returned Python function are MetaFFIErrors', () => {
    const makeThrower = guest.loadEntity('callable=make_thrower', null, [C]);
    assert.throws(() => makeThrower()(), { name: 'MetaFFIError', message: /KeyError.*from python callable/ });
  });

  it('a returned Python function can be passed back to Python', () => {
    const makeAdder = guest.loadEntity('callable=make_adder', [I64], [C]);
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    assert.equal(twice(makeAdder(100), 1), 201);
    const isSame = guest.loadEntity('callable=is_same', [C, C], [T.metaffi_bool_type]);
    const f = makeAdder(1);
    assert.equal(isSame(f, f), true);
  });

  it('builtins and bound methods come back as functions under any', () => {
    const echo = guest.loadEntity('callable=echo', [A], [A]);
    const builtins = runtime.loadModule('builtins');
    const len = builtins.loadEntity('attribute=len,getter', null, [A]) as () => (x: unknown) => number;
    assert.equal(len()([1, 2, 3]), 3);
    assert.equal(typeof echo(len()), 'function');
  });
});

describe('python3 threads', () => {
  it('a JS callback called from a Python thread while JS waits is refused with a clear error', () => {
    const inThread = guest.loadEntity('callable=call_in_thread', [C, A], [A]);
    const result = inThread((x: number) => x + 1, 1) as string;
    assert.match(result, /foreign thread while the JS thread/);
  });

  it('callbacks from a Python thread all run while the JS thread keeps making short calls into Python', async () => {
    // The JS thread is inside a Python call most of the time here; each callback waits for it
    // to get back to the event loop instead of failing.
    const start = guest.loadEntity('callable=start_callback_storm', [C, I64], null);
    const state = guest.loadEntity('callable=storm_state', null, [A]);
    const echo = guest.loadEntity('callable=echo', [I64], [I64]);
    start((i: number) => i + 1, 300);
    let st = state() as [number, string[], boolean];
    for (let round = 0; !st[2] && round < 100_000; round++) {
      for (let k = 0; k < 50; k++) echo(k);
      st = state() as [number, string[], boolean];
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(st, [300, [], true]);
  });

  it('a JS callback called later from a Python thread runs on the JS thread', async () => {
    const start = guest.loadEntity('callable=start_background_call', [C, A], [T.metaffi_bool_type]);
    const results = guest.loadEntity('callable=background_results', null, [A]);
    const seen: number[] = [];
    start((x: number) => { seen.push(x); return x * 2; }, 21);
    for (let i = 0; i < 200 && seen.length === 0; i++) await sleep(10);
    assert.deepEqual(seen, [21]);
    for (let i = 0; i < 200 && (results() as unknown[]).length === 0; i++) await sleep(10);
    assert.deepEqual(results(), [42]);
  });

  it('the GIL is released between calls, so Python threads keep running', async () => {
    const threading = runtime.loadModule(fixture('python', 'ticker.py'));
    const startTicker = threading.loadEntity('callable=start', null, null);
    const ticks = threading.loadEntity('callable=ticks', null, [I64]);
    const stop = threading.loadEntity('callable=stop', null, null);
    startTicker();
    const first = ticks() as number;
    await sleep(200);
    const later = ticks() as number;
    stop();
    assert.ok(later > first, `ticks went from ${first} to ${later}`);
  });
});

describe('python3 callable parameters passed again and again', () => {
  it('the same function, other functions in turn, and typed and untyped ones each get their own call', () => {
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    const inc = (x: number) => x + 1;
    const dbl = (x: number) => x * 2;
    const typed = makeMetaFFICallable((x: number) => x + 100, [I64], [I64]);
    for (let i = 0; i < 50; i++) {
      assert.equal(twice(inc, i), i + 2);
      assert.equal(twice(inc, i), i + 2);
      assert.equal(twice(dbl, i), i * 4);
      assert.equal(twice(typed, 3), 203);
      assert.equal(twice((x: number) => x + i, 0), 2 * i);
    }
    // two entities with callable parameters do not share what they remember
    const applyEach = guest.loadEntity('callable=apply_each', [C, T.metaffi_int64_array_type], [T.metaffi_int64_array_type]);
    assert.deepEqual(applyEach(inc, [1, 2]), [2, 3]);
    assert.equal(twice(dbl, 1), 4);
    assert.deepEqual(applyEach(dbl, [1, 2]), [2, 4]);
    assert.equal(twice(inc, 1), 3);
  });

  it('a function passed last is not kept alive by the core', async () => {
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    let weak: WeakRef<object> | undefined;
    (() => {
      const fn = (x: number) => x + 10;
      weak = new WeakRef(fn);
      assert.equal(twice(fn, 1), 21);
    })();
    await collectGarbage();
    await sleep(10);
    await collectGarbage();
    assert.equal(weak!.deref(), undefined);
    // a new function after the last one was collected is converted afresh
    assert.equal(twice((x: number) => x * 3, 1), 9);
  });
});

describe('python3 calling JS functions every way Python can', () => {
  const callers = runtime.loadModule(fixture('python', 'callers.py'));
  const direct = callers.loadEntity('callable=call_direct', [C, T.metaffi_any_array_type], [A]);
  const throughType = callers.loadEntity('callable=call_through_type', [C, T.metaffi_any_array_type], [A]);
  const withKeywords = callers.loadEntity('callable=call_with_keywords', [C], [S]);
  const withEmptyKeywords = callers.loadEntity('callable=call_with_empty_keywords', [C], [A]);
  const all = (...xs: number[]) => xs.reduce((a, x, i) => a + (i + 1) * x, 0) + xs.length * 1000000;

  it('passes 0 to 20 positional arguments directly and through type.__call__', () => {
    for (let n = 0; n <= 20; n++) {
      const args = Array.from({ length: n }, (_, i) => i % 10);
      const want = args.reduce((a, x, i) => a + (i + 1) * x, 0) + n * 1000000;
      assert.equal(direct(all, args), want);
      assert.equal(throughType(all, args), want);
    }
  });

  it('rejects keyword arguments with a TypeError in Python, accepts an empty **{}', () => {
    assert.match(withKeywords(all) as string, /^TypeError: JavaScript functions take positional arguments only/);
    assert.equal(withEmptyKeywords((x: number) => x + 1), 6);
  });
});
