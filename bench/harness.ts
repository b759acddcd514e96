/**
 * The measurement: warm-up, calibration to a round length, several timed rounds, median and
 * min in ns per call. Each cell gets its own freshly compiled loop, so the call site of the
 * operation is monomorphic and V8 optimizes it for that cell alone; every result is looked
 * at (compared with a value it can never be), so no call can be dropped as dead code.
 */
import type { Cell, Measurement } from './common.js';

export interface HarnessOptions {
  warmupMs: number;
  roundMs: number;
  rounds: number;
}

export const FULL: HarnessOptions = { warmupMs: 150, roundMs: 100, rounds: 7 };
export const QUICK: HarnessOptions = { warmupMs: 30, roundMs: 25, rounds: 3 };

const NEVER = Symbol('never');
/** Counts results equal to NEVER (none): read once at the end so nothing is dead code. */
export let sink = 0;

type SyncLoop = (op: () => unknown, n: number, never: symbol) => number;
type AsyncLoop = (op: () => Promise<unknown>, n: number, never: symbol) => Promise<number>;

const LOOP_BODY = 'let s = 0; for (let i = 0; i < n; i++) { if (op() === never) s++; } return s;';
const ASYNC_LOOP_BODY = 'let s = 0; for (let i = 0; i < n; i++) { if ((await op()) === never) s++; } return s;';
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => AsyncLoop;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Run one cell: first a checked call, then warm-up, calibration and the timed rounds. */
export async function measure(cell: Cell, opts: HarnessOptions): Promise<Measurement> {
  let timeBatch: (n: number) => Promise<number>;
  if (cell.op) {
    const op = cell.op;
    const problem = cell.check(op());
    if (problem) throw new Error(`wrong result: ${problem}`);
    const loop = new Function('op', 'n', 'never', LOOP_BODY) as SyncLoop;
    timeBatch = async (n) => {
      const t0 = process.hrtime.bigint();
      sink += loop(op, n, NEVER);
      return Number(process.hrtime.bigint() - t0);
    };
  } else if (cell.aop) {
    const aop = cell.aop;
    const problem = cell.check(await aop());
    if (problem) throw new Error(`wrong result: ${problem}`);
    const loop = new AsyncFunction('op', 'n', 'never', ASYNC_LOOP_BODY);
    timeBatch = async (n) => {
      const t0 = process.hrtime.bigint();
      sink += await loop(aop, n, NEVER);
      return Number(process.hrtime.bigint() - t0);
    };
  } else {
    throw new Error('a cell needs op or aop');
  }

  // Warm-up, growing the batch until one batch takes a tenth of a round.
  const warmupNs = opts.warmupMs * 1e6;
  const roundNs = opts.roundMs * 1e6;
  let n = 1;
  let spent = 0;
  let perCall = 0;
  while (spent < warmupNs) {
    const t = await timeBatch(n);
    spent += t;
    perCall = t / n;
    if (t < roundNs / 10) n *= 2;
  }
  const calls = Math.max(1, Math.round(roundNs / Math.max(perCall, 0.1)));

  const times: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    gc();
    times.push((await timeBatch(calls)) / calls);
  }
  return {
    median: median(times),
    min: Math.min(...times),
    max: Math.max(...times),
    rounds: opts.rounds,
    callsPerRound: calls,
  };
}
