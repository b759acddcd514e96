/** Cells that several implementations build the same way. */
import { ARRAY_SIZES, IN_FLIGHT, PARALLEL, SLEEP_MS, STRING40, floats, type Cell, type CellOrReason } from '../common.js';
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
/** An entity loaded through metaffi: callable, and `.async(...)`. */
type Entity = Fn & { async: (...args: any[]) => Promise<any> };

/** The entities of a bench module, loaded through metaffi, one per scenario. */
export interface MetaFFIBenchEntities {
  noop: Entity;
  echoInt64: Entity;
  echoString: Entity;
  sumArray: Entity;
  sumPacked: Entity;
  echoArray: Entity;
  echoPacked: Entity;
  newCounter: Entity;
  add: Entity;
  callCallback: Entity;
  echoAny: Entity;
  fail: Entity;
  /** Sleeps for its argument in ms (the throughput scenario). */
  sleepMs: Entity;
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
    [`sleep-${PARALLEL}`]: sleepCell(() => e.sleepMs(SLEEP_MS)),
  };
}

/** Rounds of the sleep scenario: long enough for many sleeps in each. */
const SLEEP_ROUND_MS = 200;

type Check = (result: unknown) => string | null;

/** The throughput scenario made synchronously: the same PARALLEL sleeps, one after the other. */
export function sleepCell(sleep: () => unknown): Cell {
  return {
    op: () => {
      let r: unknown;
      for (let i = 0; i < PARALLEL; i++) r = sleep();
      return r;
    },
    calls: PARALLEL,
    minRoundMs: SLEEP_ROUND_MS,
    check: isUndefinedOrNull,
  };
}

/** `n` async calls started one after the other without waiting, then awaited together; the
 * time is per call, and every result is checked. */
export function inFlight(n: number, start: () => Promise<unknown>, check: Check): Cell {
  return {
    aop: () => {
      const ps = new Array<Promise<unknown>>(n);
      for (let i = 0; i < n; i++) ps[i] = start();
      return Promise.all(ps);
    },
    calls: n,
    check: (r) => {
      const rs = r as unknown[];
      if (rs.length !== n) return `expected ${n} results, got ${rs.length}`;
      for (const x of rs) {
        const problem = check(x);
        if (problem) return problem;
      }
      return null;
    },
  };
}

/** The async operations an implementation offers for the async scenarios. */
export interface AsyncOps {
  noop: () => Promise<unknown>;
  echoInt64: (x: number) => Promise<unknown>;
  sleepMs: (ms: number) => Promise<unknown>;
}

/** The async scenarios' cells: a void call and an int64 echo awaited one at a time and
 * IN_FLIGHT at once, and PARALLEL sleeps at once (the same for metaffi and the peers). */
export function asyncCells(o: AsyncOps): Record<string, CellOrReason> {
  const noop = () => o.noop();
  const echo = () => o.echoInt64(123456789);
  const sleep = () => o.sleepMs(SLEEP_MS);
  return {
    void: { aop: noop, check: isUndefinedOrNull },
    int64: { aop: echo, check: is(123456789) },
    [`void-${IN_FLIGHT}`]: inFlight(IN_FLIGHT, noop, isUndefinedOrNull),
    [`int64-${IN_FLIGHT}`]: inFlight(IN_FLIGHT, echo, is(123456789)),
    [`sleep-${PARALLEL}`]: { ...inFlight(PARALLEL, sleep, isUndefinedOrNull), minRoundMs: SLEEP_ROUND_MS },
  };
}

/** metaffi's async cells: `f.async(...)` of the entities the synchronous cells call. */
export function metaffiAsyncCells(e: MetaFFIBenchEntities): Record<string, CellOrReason> {
  return asyncCells({
    noop: () => e.noop.async(),
    echoInt64: (x) => e.echoInt64.async(x),
    sleepMs: (ms) => e.sleepMs.async(ms),
  });
}
