import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, makeMetaFFICallable, type MetaFFIModule } from 'metaffi';
import { setTimeout as sleep } from 'node:timers/promises';
import { goGuest } from './guests.js';

let guest: MetaFFIModule;
before(() => {
  guest = new MetaFFIRuntime('go').loadModule(goGuest('guest'));
});

const I = T.metaffi_int64_type;
const S = T.metaffi_string8_type;
const C = T.metaffi_callable_type;

describe('go callbacks: JS functions as Go funcs', () => {
  it('a JS function passed as a Go func parameter', () => {
    const apply = guest.loadEntity('callable=Apply', [C, I], [I]);
    assert.equal(apply((x: number) => x * 3, 7), 21);
    const applyString = guest.loadEntity('callable=ApplyString', [C, S], [S]);
    assert.equal(applyString((s: string) => s.toUpperCase() + '!', 'go'), 'GO!');
  });

  it('callbacks with bool, float and byte parameters and several results', () => {
    const mixed = guest.loadEntity('callable=ApplyMixed', [C, T.metaffi_bool_type, T.metaffi_float64_type, T.metaffi_uint8_type], [S]);
    assert.equal(mixed((b: boolean, x: number, c: number) => [`${b}:${x}:${c}`, x / 2], true, 1.5, 200), 'true:1.5:200/0.75');
    assert.throws(() => mixed(() => ['only one'], false, 0, 0), /returned 1 values, Go func\(bool, float64, uint8\) \(string, float32\) expects 2/);
  });

  it('a typed callback made with makeMetaFFICallable', () => {
    const mapInts = guest.loadEntity('callable=MapInts', [C, T.metaffi_int64_array_type], [T.metaffi_int64_array_type]);
    const square = makeMetaFFICallable((x: number) => x * x, [I], [I]);
    assert.deepEqual(mapInts(square, [1, 2, 3]), [1, 4, 9]);
  });

  it('a JS exception in a callback comes back to the JS caller as itself', () => {
    const apply = guest.loadEntity('callable=Apply', [C, I], [I]);
    const boom = new RangeError('too big');
    assert.throws(() => apply(() => { throw boom; }, 1), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.message, 'RangeError: too big');
      assert.equal(e.cause, boom);
      assert.match(e.foreignStack ?? '', /guest\.Apply/);
      return true;
    });
    assert.equal(apply((x: number) => x, 5), 5); // and the next call works
  });

  it('a callback returning the wrong type or nothing is a clear error', () => {
    const apply = guest.loadEntity('callable=Apply', [C, I], [I]);
    assert.throws(() => apply(() => 'text', 1), (e: unknown) =>
      e instanceof MetaFFIError && /the foreign function's result 1: expected an integer for Go int, got string8/.test(e.message));
    assert.throws(() => apply(() => undefined, 1), /the foreign function returned 0 values, Go func\(int\) int expects 1/);
    assert.equal(apply((x: number) => x, 2), 2);
  });

  it('a callback with an error result receives the JS exception as a Go error', () => {
    const applyErr = guest.loadEntity('callable=ApplyErr', [C, I], [I]);
    assert.equal(applyErr((x: number) => x + 1, 1), 2);
    assert.throws(() => applyErr(() => { throw new TypeError('bad'); }, 1),
      (e: unknown) => e instanceof MetaFFIError && /callback failed: TypeError: bad/.test(e.message));
    const passErr = guest.loadEntity('callable=PassErr', [C], null);
    const original = new Error('kept');
    assert.throws(() => passErr(() => { throw original; }), (e: unknown) =>
      e instanceof MetaFFIError && e.message === 'Error: kept' && e.cause === original);
    assert.equal(passErr(() => undefined), undefined);
  });

  it('Go keeps a JS function and calls it later', () => {
    const store = guest.loadEntity('callable=Store', [C], null);
    const callStored = guest.loadEntity('callable=CallStored', [S], [S]);
    store((s: string) => `<${s}>`);
    assert.equal(callStored('a'), '<a>');
    assert.equal(callStored('b'), '<b>');
  });

  it('a Go func returned to JS is callable, and can be passed back to Go', () => {
    const adder = guest.loadEntity('callable=Adder', [I], [C]);
    const add10 = adder(10);
    assert.equal(typeof add10, 'function');
    assert.equal(add10(5), 15);
    const compose = guest.loadEntity('callable=Compose', [C, C], [C]);
    const f = compose(add10, (x: number) => x * 2);
    assert.equal(f(1), 22);
    const apply = guest.loadEntity('callable=Apply', [C, I], [I]);
    assert.equal(apply(add10, 1), 11);
  });

  it('calling a Go func with the wrong arguments is a clear error', () => {
    const add10 = guest.loadEntity('callable=Adder', [I], [C])(10);
    assert.throws(() => add10(), /takes 1 arguments, got 0/);
    assert.throws(() => add10('x'), /argument 1: expected an integer for Go int/);
  });

  it('a callback from another goroutine while the JS thread waits fails cleanly', () => {
    const callAsync = guest.loadEntity('callable=CallAsyncErr', [C, I], [I]);
    assert.throws(() => callAsync((x: number) => x, 1), (e: unknown) =>
      e instanceof MetaFFIError && /called from a foreign thread while the JS thread is blocked/.test(e.message));
  });

  it('a callback from a goroutine after the call returned runs on the JS thread', async () => {
    const later = guest.loadEntity('callable=Later', [C, S, I], null);
    const seen: string[] = [];
    later((s: string) => { seen.push(s); }, 'tick', 3);
    for (let i = 0; i < 300 && seen.length < 3; i++) await sleep(10);
    assert.deepEqual(seen, ['tick 0', 'tick 1', 'tick 2']);
  });

  it('a failing callback in a goroutine is reported and the process goes on', async () => {
    const laterFailing = guest.loadEntity('callable=LaterFailing', [C, C], null);
    const seen: string[] = [];
    laterFailing(() => { throw new Error('in a goroutine'); }, (s: string) => { seen.push(s); });
    for (let i = 0; i < 300 && seen.length === 0; i++) await sleep(10);
    assert.deepEqual(seen, ['after failure: 0']);
  });
});
