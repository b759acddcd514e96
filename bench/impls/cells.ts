/** Cells that several implementations build the same way. */
import { ARRAY_SIZES, STRING40, floats, type CellOrReason } from '../common.js';
import { is, isBenchError, isFloats, isString40, isSum, isUndefinedOrNull, thrown } from './check.js';

export type ArrayOps = {
  sum: (a: number[] | Float64Array) => unknown;
  echo: (a: number[] | Float64Array) => unknown;
};

/** The array cells for every size, plain Array and Float64Array in. */
export function arrayCells(plain: ArrayOps, typed: ArrayOps | string): Record<string, CellOrReason> {
  const cells: Record<string, CellOrReason> = {};
  for (const n of ARRAY_SIZES) {
    const arr = floats(n);
    const f64 = Float64Array.from(arr);
    cells[`sum-array-${n}`] = { op: () => plain.sum(arr), check: isSum(n) };
    cells[`echo-array-${n}`] = { op: () => plain.echo(arr), check: isFloats(n, false) };
    if (typeof typed === 'string') {
      cells[`sum-f64-${n}`] = { unavailable: typed };
      cells[`echo-f64-${n}`] = { unavailable: typed };
    } else {
      cells[`sum-f64-${n}`] = { op: () => typed.sum(f64), check: isSum(n) };
      cells[`echo-f64-${n}`] = { op: () => typed.echo(f64), check: isFloats(n, true) };
    }
  }
  return cells;
}

type Fn = (...args: any[]) => any;

/** The entities of a bench module, loaded through metaffi, one per scenario. */
export interface MetaFFIBenchEntities {
  noop: Fn;
  echoInt64: Fn;
  echoString: Fn;
  sumArray: Fn;
  sumPacked: Fn;
  echoArray: Fn;
  echoPacked: Fn;
  newCounter: Fn;
  add: Fn;
  callCallback: Fn;
  echoAny: Fn;
  fail: Fn;
}

/** Every scenario's cell for metaffi, the same for each runtime; `cb` is the JS callback. */
export function metaffiCells(e: MetaFFIBenchEntities, cb: Fn): Record<string, CellOrReason> {
  const counter = e.newCounter();
  return {
    void: { op: () => e.noop(), check: isUndefinedOrNull },
    int64: { op: () => e.echoInt64(123456789), check: is(123456789) },
    string: { op: () => e.echoString(STRING40), check: isString40 },
    ...arrayCells({ sum: (a) => e.sumArray(a), echo: (a) => e.echoArray(a) },
      { sum: (a) => e.sumPacked(a), echo: (a) => e.echoPacked(a) }),
    object: {
      op: () => {
        const c = e.newCounter();
        const r = e.add(c, 1);
        c.release();
        return r;
      },
      check: is(1),
    },
    method: { op: () => e.add(counter, 0), check: is(0) },
    callback: { op: () => e.callCallback(cb, 41), check: is(42) },
    any: { op: () => e.echoAny(42), check: is(42) },
    error: { op: () => thrown(() => e.fail()), check: isBenchError },
  };
}
