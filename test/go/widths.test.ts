/**
 * The range checks of every Go integer type, on the three paths that convert a foreign
 * integer to Go: a parameter of a Go function, the result of a JS function called as a typed
 * Go func, and a parameter of a Go func called from JS (through reflection).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, type MetaFFIModule } from 'metaffi';
import { goGuest } from './guests.js';

let guest: MetaFFIModule;
before(() => {
  guest = new MetaFFIRuntime('go').loadModule(goGuest('widths'));
});

const C = T.metaffi_callable_type;

// name in the fixture, Go type, smallest and largest value
const widths: [string, string, bigint, bigint][] = [
  ['I8', 'int8', -(2n ** 7n), 2n ** 7n - 1n],
  ['I16', 'int16', -(2n ** 15n), 2n ** 15n - 1n],
  ['I32', 'int32', -(2n ** 31n), 2n ** 31n - 1n],
  ['I64', 'int64', -(2n ** 63n), 2n ** 63n - 1n],
  ['Int', 'int', -(2n ** 63n), 2n ** 63n - 1n],
  ['U8', 'uint8', 0n, 2n ** 8n - 1n],
  ['U16', 'uint16', 0n, 2n ** 16n - 1n],
  ['U32', 'uint32', 0n, 2n ** 32n - 1n],
  ['U64', 'uint64', 0n, 2n ** 64n - 1n],
  ['Uint', 'uint', 0n, 2n ** 64n - 1n],
  ['Uintptr', 'uintptr', 0n, 2n ** 64n - 1n],
];

/** The JS value for v: a number when it is exact as one, else a bigint. */
function js(v: bigint): number | bigint {
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
}

/** The declared type that can carry v to Go. */
function carrier(v: bigint) {
  return v < 0n ? T.metaffi_int64_type : T.metaffi_uint64_type;
}

/** The values just outside [min, max] that some declared type can carry. */
function outside(min: bigint, max: bigint): bigint[] {
  return [min - 1n, max + 1n].filter((v) => v >= -(2n ** 63n) && v < 2n ** 64n);
}

describe('go integer widths', () => {
  for (const [name, goType, min, max] of widths) {
    const result = min < 0n ? T.metaffi_int64_type : T.metaffi_uint64_type;

    it(`${goType} parameters: the whole range passes, values outside it are clear errors`, () => {
      for (const v of [min, max]) {
        const echo = guest.loadEntity(`callable=Echo${name}`, [carrier(v)], [result]);
        assert.equal(echo(js(v)), js(v));
      }
      for (const v of outside(min, max)) {
        const echo = guest.loadEntity(`callable=Echo${name}`, [carrier(v)], [result]);
        assert.throws(() => echo(js(v)), (e: unknown) =>
          e instanceof MetaFFIError && e.message.includes(`Echo${name}: argument 1: ${v} is out of the range of Go ${goType}`));
      }
      const echo = guest.loadEntity(`callable=Echo${name}`, [T.metaffi_any_type], [result]);
      assert.throws(() => echo('x'), (e: unknown) =>
        e instanceof MetaFFIError && e.message.includes(`Echo${name}: argument 1: expected an integer for Go ${goType}, got string8`));
    });

    it(`${goType} callback results: the whole range passes, values outside it are clear errors`, () => {
      const call = guest.loadEntity(`callable=Call${name}`, [C], [result]);
      for (const v of [min, max]) assert.equal(call(() => js(v)), js(v));
      for (const v of outside(min, max)) {
        assert.throws(() => call(() => js(v)), (e: unknown) =>
          e instanceof MetaFFIError && e.message.includes(`the foreign function's result 1: ${v} is out of the range of Go ${goType}`));
      }
      assert.throws(() => call(() => 'x'), (e: unknown) =>
        e instanceof MetaFFIError && e.message.includes(`the foreign function's result 1: expected an integer for Go ${goType}, got string8`));
      assert.equal(call(() => 1), 1); // and the next call works
    });

    it(`${goType} parameters of a Go func called from JS: the whole range passes, values outside it are clear errors`, () => {
      const fn = guest.loadEntity(`callable=Func${name}`, [], [C])() as (x: unknown) => unknown;
      for (const v of [min, max]) assert.equal(fn(js(v)), js(v));
      for (const v of outside(min, max)) {
        assert.throws(() => fn(js(v)), (e: unknown) =>
          e instanceof MetaFFIError && e.message.includes(`argument 1: ${v} is out of the range of Go ${goType}`));
      }
      assert.throws(() => fn('x'), (e: unknown) =>
        e instanceof MetaFFIError && e.message.includes(`argument 1: expected an integer for Go ${goType}, got string8`));
    });
  }
});
