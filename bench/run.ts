/**
 * The metaffi benchmark (not a test: it asserts nothing about time). Sets up the limit
 * addons, fixtures and peers, runs each implementation of each runtime in its own child
 * process and has them take turns, round by round (one runs at a time, so they do not
 * compete for the 2 cores, and a slow moment of the machine hits them alike), prints the
 * table and writes it as JSON and Markdown. The async calls (metaffi's `f.async()` and the
 * peers' async forms) are implementations of their own, measured the same way; the event
 * loop's delay during a long Python call is measured after them (bench/latency.ts).
 *
 *   npm run bench                                   everything available
 *   npm run bench -- --runtime python3 --quick      a subset, short rounds
 *   npm run bench -- --help                         all flags
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, SCENARIOS, benchBuild, type Impl, type ImplResult, type LatencyResult, type RuntimeName } from './common.js';
import type { FromChild, ToChild } from './child.js';
import { FULL, QUICK, summarize } from './harness.js';
import { IMPLS } from './impls/index.js';
import { formatNs, toMarkdown, toText, type Report } from './report.js';
import { pythonHostTable, runPythonHost, type PythonHostResults } from './python_host.js';
import { runMemory } from './memory.js';
import { setUp } from './setup.js';
import { runLatency } from './latency.js';

/** The --scenario name of the event-loop measurement (not a per-call scenario). */
const LATENCY = 'latency';
import { defaultChartsDir, writeCharts } from './charts.js';

const HELP = `Usage: npm run bench -- [options]

  --runtime LIST    runtimes to run: python3,openjdk,go (default: all)
  --impl LIST       implementations: limit,metaffi and peers node-calls-python,pythonia,
                    java,java-bridge,koffi; the async calls metaffi-async,
                    node-calls-python-async,java-async (default: all)
  --scenario LIST   scenario ids (void, int64, string, sum-array-100, echo-f64-10000, object,
                    method, callback, any, error, void-64, int64-64, sleep-4, ...) or
                    prefixes of ids (sum, echo-f64); 'latency' is the event-loop measurement
                    during a 2 s Python call (default: all)
  --quick           short warm-up and rounds (about 0.1 s per cell instead of 1 s)
  --rounds N        timed rounds per cell (default 7; quick 3)
  --round-ms N      length of a round in ms (default 100; quick 25)
  --json FILE       write the results as JSON (default: bench/build/report.json)
  --md FILE         write the table as Markdown (default: bench/build/report.md)
  --charts DIR      write one SVG chart per runtime there (default: bench/build/charts);
                    redo them from a saved JSON: node .build/bench/charts.js FILE [DIR]
  --no-install      do not install the peers into bench/node_modules when missing
  --memory          only the memory group: RSS growth of 1M calls per kind and runtime
  --help            this text

A run of every runtime and implementation ends with the Python host's table: the metaffi
Python package calling Java and Go beside JPype and ctypes (bench/python_host/).
`;

interface Args {
  runtimes: Set<RuntimeName>;
  impls: Set<string> | null;
  scenarios: string[] | null;
  quick: boolean;
  rounds?: number;
  roundMs?: number;
  json: string;
  md: string;
  charts: string;
  install: boolean;
  memory: boolean;
}

function list(v: string | undefined, flag: string): string[] {
  if (!v || v.startsWith('--')) throw new Error(`${flag} needs a comma-separated list`);
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function count(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a whole number of at least 1, got ${v ?? 'nothing'}`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    runtimes: new Set(RUNTIMES), impls: null, scenarios: null, quick: false,
    json: join(benchBuild, 'report.json'), md: join(benchBuild, 'report.md'), charts: defaultChartsDir, install: true, memory: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    switch (f) {
      case '--runtime': {
        const rs = list(argv[++i], f);
        for (const r of rs) if (!(RUNTIMES as readonly string[]).includes(r)) throw new Error(`unknown runtime '${r}'; known: ${RUNTIMES.join(', ')}`);
        a.runtimes = new Set(rs as RuntimeName[]);
        break;
      }
      case '--impl': {
        const names = new Set(IMPLS.map((x) => x.name));
        const is = list(argv[++i], f);
        for (const x of is) if (!names.has(x)) throw new Error(`unknown implementation '${x}'; known: ${[...names].join(', ')}`);
        a.impls = new Set(is);
        break;
      }
      case '--scenario': {
        const ss = list(argv[++i], f);
        for (const s of ss) {
          if (s !== LATENCY && !SCENARIOS.some((x) => x.id.startsWith(s))) {
            throw new Error(`unknown scenario '${s}'; known: ${SCENARIOS.map((x) => x.id).join(', ')}, ${LATENCY}`);
          }
        }
        a.scenarios = ss;
        break;
      }
      case '--quick': a.quick = true; break;
      case '--rounds': a.rounds = count(argv[++i], f); break;
      case '--round-ms': a.roundMs = count(argv[++i], f); break;
      case '--no-install': a.install = false; break;
      case '--memory': a.memory = true; break;
      case '--json': a.json = list(argv[++i], f)[0]!; break;
      case '--md': a.md = list(argv[++i], f)[0]!; break;
      case '--charts': a.charts = list(argv[++i], f)[0]!; break;
      case '--help': case '-h': process.stdout.write(HELP); process.exit(0); break;
      default: throw new Error(`unknown option '${f}' (see --help)`);
    }
  }
  return a;
}

/** One child process: an implementation of a runtime, answering requests in order. */
class Worker {
  readonly first: Promise<FromChild>;
  result!: ImplResult;
  cells: Record<string, 'ok' | { unavailable: string }> = {};
  readonly #proc: ChildProcess;
  readonly #logFile: string;
  #log = '';
  #exit: string | null = null;
  #waiting: ((m: FromChild | null) => void) | null = null;

  constructor(impl: Impl, child: string, setupFile: string, logFile: string, javaHome: string | undefined) {
    this.#logFile = logFile;
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (javaHome) env.JAVA_HOME = javaHome;
    this.#proc = fork(child, [impl.runtime, impl.name, setupFile], { execArgv: ['--expose-gc'], silent: true, env });
    const keep = (d: Buffer) => {
      this.#log += d.toString();
      if (this.#log.length > 1 << 20) this.#log = this.#log.slice(-(1 << 19));
    };
    this.#proc.stdout!.on('data', keep);
    this.#proc.stderr!.on('data', keep);
    this.#proc.on('error', (e) => {
      this.#log += `\n${e.message}\n`;
    });
    this.#proc.on('message', (m: FromChild) => {
      const w = this.#waiting;
      this.#waiting = null;
      w?.(m);
    });
    this.#proc.on('exit', (code, signal) => {
      this.#exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      const w = this.#waiting;
      this.#waiting = null;
      w?.(null);
      writeFileSync(this.#logFile, this.#log);
    });
    this.first = this.#next(10 * 60 * 1000);
  }

  alive(): boolean {
    return this.#exit === null;
  }

  deathReason(): string {
    return `its benchmark process failed (${this.#exit ?? 'no answer'}): ${lastLines(this.#log, 2) || 'no output'}`;
  }

  #next(timeoutMs: number): Promise<FromChild> {
    return new Promise((resolve) => {
      if (!this.alive()) {
        resolve({ op: 'failed', id: '', error: this.deathReason() });
        return;
      }
      const timer = setTimeout(() => {
        this.#waiting = null;
        this.#proc.kill('SIGKILL');
        resolve({ op: 'failed', id: '', error: `no answer within ${timeoutMs / 1000} s; the process was stopped` });
      }, timeoutMs);
      this.#waiting = (m) => {
        clearTimeout(timer);
        resolve(m ?? { op: 'failed', id: '', error: this.deathReason() });
      };
    });
  }

  request(m: ToChild): Promise<FromChild> {
    const answer = this.#next(10 * 60 * 1000);
    if (this.alive() && this.#proc.connected) this.#proc.send(m);
    return answer;
  }

  async close(): Promise<void> {
    if (!this.alive()) return;
    if (!this.#proc.connected) {
      this.#proc.kill('SIGKILL');
      return;
    }
    const gone = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()));
    this.#proc.send({ op: 'close' } satisfies ToChild);
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 20000);
    await gone;
    clearTimeout(timer);
  }
}

function lastLines(text: string, n: number): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-n).join(' | ');
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (args.memory) return runMemory(args.runtimes, args.quick ? 200_000 : 1_000_000);
  const log = (l: string) => process.stderr.write(`bench: ${l}\n`);
  const base = args.quick ? QUICK : FULL;
  const opts = { ...base, rounds: args.rounds ?? base.rounds, roundMs: args.roundMs ?? base.roundMs };
  const setup = await setUp({ runtimes: args.runtimes, impls: args.impls, quick: args.quick, harness: opts, install: args.install, log });
  const runDir = join(benchBuild, 'run');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const setupFile = join(runDir, 'setup.json');
  writeFileSync(setupFile, JSON.stringify(setup, null, 1));
  const child = join(dirname(fileURLToPath(import.meta.url)), 'child.js');
  const scenarioIds = args.scenarios
    ? SCENARIOS.filter((s) => args.scenarios!.some((p) =>
      s.id === p || (!SCENARIOS.some((x) => x.id === p) && s.id.startsWith(p)))).map((s) => s.id)
    : null;

  const results: ImplResult[] = [];
  for (const runtime of RUNTIMES) {
    if (!args.runtimes.has(runtime) || scenarioIds?.length === 0) continue;
    const impls = IMPLS.filter((i) => i.runtime === runtime && (!args.impls || args.impls.has(i.name)));
    const workers: Worker[] = [];
    for (const impl of impls) {
      const res: ImplResult = { runtime, name: impl.name, kind: impl.kind, cells: {} };
      results.push(res);
      log(`starting ${runtime} / ${impl.name}`);
      const w = new Worker(impl, child, setupFile, join(runDir, `${runtime}-${impl.name}.log`), setup.javaHome);
      const first = await w.first;
      if (first.op === 'prepared') {
        res.info = first.info;
        for (const [id, c] of Object.entries(first.cells)) {
          if (c !== 'ok' && (!scenarioIds || scenarioIds.includes(id))) res.cells[id] = c;
        }
        workers.push(w);
        w.result = res;
        w.cells = first.cells;
      } else {
        res.unavailable = first.op === 'unavailable' ? first.reason : w.deathReason();
        log(`  unavailable: ${res.unavailable}`);
        w.close();
      }
    }
    for (const s of SCENARIOS) {
      if (scenarioIds && !scenarioIds.includes(s.id)) continue;
      const part = workers.filter((w) => w.cells[s.id] === 'ok' && w.alive());
      if (part.length === 0) continue;
      const times = new Map<Worker, number[]>();
      const calls = new Map<Worker, number>();
      const fail = (w: Worker, error: string) => {
        w.result.cells[s.id] = { error };
        times.delete(w);
      };
      for (const w of part) {
        const r = await w.request({ op: 'ready', id: s.id });
        if (r.op === 'readied') {
          times.set(w, []);
          calls.set(w, r.callsPerRound);
        } else {
          fail(w, r.op === 'failed' ? r.error : String(r));
        }
      }
      // The rounds, in turn: each round runs every implementation once, starting with a
      // different one each time.
      for (let round = 0; round < opts.rounds; round++) {
        const order = [...times.keys()];
        const k = order.length ? round % order.length : 0;
        for (const w of [...order.slice(k), ...order.slice(0, k)]) {
          const r = await w.request({ op: 'round', id: s.id });
          if (r.op === 'round') times.get(w)!.push(r.ns);
          else fail(w, r.op === 'failed' ? r.error : String(r));
        }
      }
      for (const [w, ts] of times) w.result.cells[s.id] = summarize(ts, calls.get(w)!);
      log(`  ${runtime} ${s.id}: ${part.map((w) => {
        const c = w.result.cells[s.id];
        return `${w.result.name} ${c && 'median' in c ? formatNs(c.median) : 'failed'}`;
      }).join(', ')}`);
    }
    for (const w of workers) await w.close();
  }

  // The event loop during a long Python call, with `.async` and synchronously.
  let latency: LatencyResult | undefined;
  if (args.runtimes.has('python3') && (!args.impls || args.impls.has('metaffi') || args.impls.has('metaffi-async')) &&
    (!args.scenarios || args.scenarios.includes(LATENCY))) {
    log('event loop during a 2 s Python call (.async, then sync)');
    latency = setup.missing.python ? { error: `python3 is not available: ${setup.missing.python}` } : runLatency();
    log(`  ${'error' in latency ? `failed: ${latency.error}` : `p99 ${latency.async.p99} ms async, ${latency.sync.p99} ms sync`}`);
  }

  // The Python host, when all three runtimes are measured: metaffi beside JPype and ctypes.
  let pythonHost: PythonHostResults | undefined;
  if (args.runtimes.size === RUNTIMES.length && !args.impls) {
    try {
      pythonHost = runPythonHost(setup, args.quick, log);
    } catch (e) {
      pythonHost = { error: (e as Error).message.split('\n')[0] ?? 'failed' };
    }
  }

  const cpu = cpus();
  const report: Report = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}`,
    node: process.versions.node,
    mode: `${args.quick ? 'quick: ' : ''}${opts.rounds} rounds of ~${opts.roundMs} ms after a ${opts.warmupMs} ms warm-up`,
    results,
    ...(latency ? { latency } : {}),
  };
  process.stdout.write(`\n${toText(report)}\n`);
  if (pythonHost) process.stdout.write(`\n${pythonHostTable(pythonHost)}\n`);
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({ ...report, setup, pythonHost }, null, 1));
  mkdirSync(dirname(args.md), { recursive: true });
  writeFileSync(args.md, toMarkdown(report) + (pythonHost ? `\n${pythonHostTable(pythonHost)}\n` : ''));
  writeCharts(report, args.charts);
  log(`wrote ${args.json}, ${args.md} and charts in ${args.charts}; each process's log is in ${runDir}`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
