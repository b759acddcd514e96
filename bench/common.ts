/**
 * What the benchmark's parts share: paths, the scenario list, the shape of an
 * implementation and of a result.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from .build/bench, compiled from bench/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const benchDir = join(repoRoot, 'bench');
/** Everything the bench set-up builds (limit addons, compiled fixtures) goes here. */
export const benchBuild = join(benchDir, 'build');
export const fixtures = join(benchDir, 'fixtures');

export const RUNTIMES = ['python3', 'openjdk', 'go'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

export const ARRAY_SIZES = [10, 100, 1000, 10000] as const;

export interface ScenarioDef {
  id: string;
  label: string;
  /** The budget against the limit (DESIGN §7), where one is set. */
  budget?: number;
  /** Only in the async table: measured for the async implementations (and, for a
   * comparison, by metaffi's synchronous calls where `sync` names this scenario). */
  asyncOnly?: true;
  /** The synchronous scenario an async row is compared with (for "async / sync"). */
  sync?: string;
}

/** How many async calls the "in flight" scenarios start before awaiting them all. */
export const IN_FLIGHT = 64;
/** The throughput scenario: this many concurrent calls of a sleep of SLEEP_MS. */
export const PARALLEL = 4;
export const SLEEP_MS = 10;

function arrayScenarios(): ScenarioDef[] {
  const out: ScenarioDef[] = [];
  for (const what of ['sum', 'echo'] as const) {
    for (const kind of ['array', 'f64'] as const) {
      for (const n of ARRAY_SIZES) {
        out.push({
          id: `${what}-${kind}-${n}`,
          label: `array ${what} ${n} float64 (${kind === 'array' ? 'Array' : 'Float64Array'})`,
        });
      }
    }
  }
  return out;
}

/** MetaFFI's scenario set (DESIGN §7), in table order. */
export const SCENARIOS: ScenarioDef[] = [
  { id: 'void', label: 'void call', budget: 2 },
  { id: 'int64', label: 'int64 echo', budget: 2 },
  { id: 'string', label: 'string echo (40 chars)', budget: 3 },
  ...arrayScenarios(),
  { id: 'object', label: 'object create + method + release' },
  { id: 'method', label: 'method on existing object' },
  { id: 'callback', label: 'callback (foreign calls JS)' },
  { id: 'any', label: 'any echo (an integer)' },
  { id: 'error', label: 'error propagation' },
  { id: `void-${IN_FLIGHT}`, label: `void call, ${IN_FLIGHT} in flight`, asyncOnly: true, sync: 'void' },
  { id: `int64-${IN_FLIGHT}`, label: `int64 echo, ${IN_FLIGHT} in flight`, asyncOnly: true, sync: 'int64' },
  { id: `sleep-${PARALLEL}`, label: `${SLEEP_MS} ms sleep, ${PARALLEL} at a time`, asyncOnly: true, sync: `sleep-${PARALLEL}` },
];

/** The scenarios of the async table, in its order: one call awaited at a time, then the rest. */
export const ASYNC_SCENARIOS: ScenarioDef[] = [
  { ...SCENARIOS.find((s) => s.id === 'void')!, sync: 'void' },
  { ...SCENARIOS.find((s) => s.id === 'int64')!, sync: 'int64' },
  ...SCENARIOS.filter((s) => s.asyncOnly),
];

/** The 40-character string of the string scenario. */
export const STRING40 = 'metaffi-bench: forty characters string!!';

export function floats(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i * 0.5);
}

export function sumOf(n: number): number {
  return (0.5 * (n - 1) * n) / 2;
}

/** One measured operation. `op` (or `aop` for async calls) performs one call, or `calls`
 * calls (then the time per call is the operation's over `calls`). `check` looks at the
 * result of one operation and returns what is wrong with it, or null. */
export interface Cell {
  op?: () => unknown;
  aop?: () => Promise<unknown>;
  calls?: number;
  /** Rounds of at least this many ms for this cell (slow operations: enough of them per round). */
  minRoundMs?: number;
  check: (result: unknown) => string | null;
}

/** A cell, or why this implementation cannot run this scenario. */
export type CellOrReason = Cell | { unavailable: string };

export interface Prepared {
  /** Versions and other facts for the report ("CPython 3.11.7"). */
  info: string;
  cells: Record<string, CellOrReason>;
  /** Called after the last cell, before the process exits. */
  close?: () => void | Promise<void>;
}

/** 'metaffi-async' and 'peer-async': the async calls of metaffi (`f.async()`) and of a peer,
 * shown in the async table and beside the synchronous ones in the charts. */
export type ImplKind = 'limit' | 'metaffi' | 'peer' | 'metaffi-async' | 'peer-async';

/** One implementation of the scenarios (our API, a limit addon, a peer). */
export interface Impl {
  runtime: RuntimeName;
  name: string;
  kind: ImplKind;
  prepare(setup: SetupInfo): Promise<Prepared>;
}

/** What the parent's set-up found or built, passed to each child. */
export interface SetupInfo {
  quick: boolean;
  /** The measurement's warm-up, round length and round count. */
  harness: { warmupMs: number; roundMs: number; rounds: number };
  python?: { executable: string; version: string };
  javaHome?: string;
  javaClasses?: string;
  goCShared?: string;
  goGuestDir?: string;
  limits: Partial<Record<RuntimeName, string>>;
  /** Why a part is missing: key 'limit:python3', 'peer:koffi', 'go-guest', ... */
  missing: Record<string, string>;
  /** Where the bench's own dependencies (the peers) are installed. */
  peersDir: string;
}

export interface Measurement {
  /** ns per call over the rounds. */
  median: number;
  min: number;
  max: number;
  rounds: number;
  callsPerRound: number;
}

export type CellResult = Measurement | { unavailable: string } | { error: string };

export interface ImplResult {
  runtime: RuntimeName;
  name: string;
  kind: ImplKind;
  info?: string;
  /** The whole implementation could not run. */
  unavailable?: string;
  cells: Record<string, CellResult>;
}

/** Target for the event-loop measurement (bench/latency.ts): the async call's p99 (DESIGN §10: a long foreign call never blocks the loop). */
export const TARGET_P99_MS = 5;

/** How late the loop's timers ran, in ms beyond their interval. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  /** How many times the timer ran (the histogram's sample count). */
  samples: number;
  /** How long the call took, in ms. */
  wallMs: number;
}

/** `idle`: the same span with no call at all (what this machine's loop shows anyway). */
export type LatencyResult =
  | { callMs: number; resolutionMs: number; idle: LoopDelay; async: LoopDelay; sync: LoopDelay }
  | { error: string };
