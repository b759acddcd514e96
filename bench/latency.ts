/**
 * The event-loop part of the async benchmark: how late the event loop runs its timers while
 * a 2-second Python call (`time.sleep(2)`) is in progress, made with `.async` (the loop stays
 * free) and, for contrast, synchronously (the loop is blocked for the whole call). Measured
 * with `perf_hooks.monitorEventLoopDelay` in a process of its own, started by run.ts:
 *
 *   node .build/bench/latency.js        prints the result as one line of JSON
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fixtures, type LatencyResult, type LoopDelay } from './common.js';

/** The length of the foreign call, in ms. */
const CALL_MS = 2000;
/** The histogram's timer interval, in ms. */
const RESOLUTION_MS = 1;
const tick = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The loop delay while `call` runs. The histogram runs a little before the call (it records
 * the time between two runs of its timer, so it needs a first run to count from) and until
 * the loop has run once after it (a blocked loop shows its delay only then). */
async function during(call: () => unknown): Promise<LoopDelay> {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  await tick(10);
  const t0 = process.hrtime.bigint();
  const r = await call();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await tick(10);
  h.disable();
  if (r !== undefined && r !== null) throw new Error(`sleep_ms returned ${String(r)}, expected nothing`);
  const ms = (ns: number) => Math.round(Math.max(0, ns / 1e6 - RESOLUTION_MS) * 1000) / 1000;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), samples: h.count, wallMs: Math.round(wallMs) };
}

async function measure(): Promise<LatencyResult> {
  const { MetaFFIRuntime, MetaFFITypes: T } = await import('metaffi');
  const mod = new MetaFFIRuntime('python3').loadModule(join(fixtures, 'python', 'bench_mod.py'));
  const sleepMs = mod.loadEntity('callable=sleep_ms', [T.metaffi_int64_type], null);
  // Warm both paths up (the pool thread starts on the first async call).
  sleepMs(1);
  await sleepMs.async(1);
  const idle = await during(() => tick(CALL_MS).then(() => undefined));
  const asyncDelay = await during(() => sleepMs.async(CALL_MS));
  const syncDelay = await during(() => sleepMs(CALL_MS));
  return { callMs: CALL_MS, resolutionMs: RESOLUTION_MS, idle, async: asyncDelay, sync: syncDelay };
}

/** Run the measurement in a child process (a fresh one: nothing else on its event loop). */
export function runLatency(): LatencyResult {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout?.trim().split('\n').at(-1);
  if (r.status === 0 && line) return JSON.parse(line) as LatencyResult;
  const why = (r.stderr || r.stdout || '').split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1);
  return { error: `the event-loop measurement failed (${r.signal ?? `exit code ${r.status}`}): ${why ?? 'no output'}` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  measure().then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }, (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
