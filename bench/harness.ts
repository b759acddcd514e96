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

export const FULL: HarnessOptions = { warmupMs: 300, roundMs: 100, rounds: 7 };
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

/** A cell made ready to time: checked, warmed up, its round length known. */
export interface ReadyCell {
  /** Time one round; returns ns per call. */
  round(): Promise<number>;
  callsPerRound: number;
}

/** Check one call's result, warm the cell up and size its rounds (a round is a whole number
 * of operations; a cell whose operation makes several calls reports the time per call). */
export async function ready(cell: Cell, opts: HarnessOptions): Promise<ReadyCell> {
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

  // Warm-up, doubling the batch until one batch takes a tenth of a round. The round length
  // comes from the fastest batch seen, so a slow batch early in the warm-up (JIT
  // compilation, a GC) does not make the rounds short.
  const warmupNs = opts.warmupMs * 1e6;
  const roundNs = Math.max(opts.roundMs, cell.minRoundMs ?? 0) * 1e6;
  let n = 1;
  let spent = 0;
  let fastest = Infinity;
  while (spent < warmupNs) {
    const t = await timeBatch(n);
    spent += t;
    if (t >= roundNs / 100 || n === 1) fastest = Math.min(fastest, t / n);
    if (t < roundNs / 10) n *= 2;
  }
  const ops = Math.max(1, Math.round(roundNs / Math.max(fastest, 0.1)));
  const perOp = cell.calls ?? 1;
  return {
    callsPerRound: ops * perOp,
    round: async () => {
      gc();
      return (await timeBatch(ops)) / (ops * perOp);
    },
  };
}

/** The summary of a cell's rounds. */
export function summarize(times: number[], callsPerRound: number): Measurement {
  return {
    median: median(times),
    min: Math.min(...times),
    max: Math.max(...times),
    rounds: times.length,
    callsPerRound,
  };
}
