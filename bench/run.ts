/**
 * The metaffi benchmark (not a test: it asserts nothing about time). Sets up the limit
 * addons, fixtures and peers, runs each implementation of each runtime in its own child
 * process, one after another so they do not compete for the 2 cores, prints the table and
 * writes it as JSON and Markdown.
 *
 *   npm run bench                                   everything available
 *   npm run bench -- --runtime python3 --quick      a subset, short rounds
 *   npm run bench -- --help                         all flags
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, SCENARIOS, benchBuild, type ImplResult, type RuntimeName } from './common.js';
import { IMPLS } from './impls/index.js';
import { toMarkdown, toText, type Report } from './report.js';
import { setUp } from './setup.js';

const HELP = `Usage: npm run bench -- [options]

  --runtime LIST    runtimes to run: python3,openjdk,go (default: all)
  --impl LIST       implementations: limit,metaffi and peers node-calls-python,pythonia,
                    java,java-bridge,koffi (default: all)
  --scenario LIST   scenario ids or prefixes: void,int64,string,sum,echo,sum-f64,object,
                    method,callback,any,error (default: all)
  --quick           short warm-up and rounds (about 0.1 s per cell instead of 0.85 s)
  --json FILE       write the results as JSON (default: bench/build/report.json)
  --md FILE         write the table as Markdown (default: bench/build/report.md)
  --no-install      do not install the peers into bench/node_modules when missing
  --help            this text
`;

interface Args {
  runtimes: Set<RuntimeName>;
  impls: Set<string> | null;
  scenarios: string[] | null;
  quick: boolean;
  json: string;
  md: string;
  install: boolean;
}

function list(v: string | undefined, flag: string): string[] {
  if (!v || v.startsWith('--')) throw new Error(`${flag} needs a comma-separated list`);
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    runtimes: new Set(RUNTIMES), impls: null, scenarios: null, quick: false,
    json: join(benchBuild, 'report.json'), md: join(benchBuild, 'report.md'), install: true,
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
        for (const s of ss) if (!SCENARIOS.some((x) => x.id.startsWith(s))) throw new Error(`unknown scenario '${s}'; known: ${SCENARIOS.map((x) => x.id).join(', ')}`);
        a.scenarios = ss;
        break;
      }
      case '--quick': a.quick = true; break;
      case '--no-install': a.install = false; break;
      case '--json': a.json = list(argv[++i], f)[0]!; break;
      case '--md': a.md = list(argv[++i], f)[0]!; break;
      case '--help': case '-h': process.stdout.write(HELP); process.exit(0); break;
      default: throw new Error(`unknown option '${f}' (see --help)`);
    }
  }
  return a;
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
  const log = (l: string) => process.stderr.write(`bench: ${l}\n`);
  const setup = await setUp({ runtimes: args.runtimes, impls: args.impls, quick: args.quick, install: args.install, log });
  const runDir = join(benchBuild, 'run');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const setupFile = join(runDir, 'setup.json');
  writeFileSync(setupFile, JSON.stringify(setup, null, 1));
  const child = join(dirname(fileURLToPath(import.meta.url)), 'child.js');
  const scenarioIds = args.scenarios
    ? SCENARIOS.filter((s) => args.scenarios!.some((p) => s.id.startsWith(p))).map((s) => s.id)
    : null;

  const results: ImplResult[] = [];
  for (const impl of IMPLS) {
    if (!args.runtimes.has(impl.runtime) || (args.impls && !args.impls.has(impl.name))) continue;
    const tag = `${impl.runtime}-${impl.name}`;
    const out = join(runDir, `${tag}.json`);
    const t0 = Date.now();
    log(`running ${impl.runtime} / ${impl.name}`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (setup.javaHome) env.JAVA_HOME = setup.javaHome;
    const r = spawnSync(process.execPath, ['--expose-gc', child, impl.runtime, impl.name, setupFile, out,
      ...(scenarioIds ? [scenarioIds.join(',')] : [])], { env, encoding: 'utf8', timeout: 20 * 60 * 1000, maxBuffer: 64 << 20 });
    writeFileSync(join(runDir, `${tag}.log`), `${r.stdout ?? ''}\n--- stderr\n${r.stderr ?? ''}`);
    let res: ImplResult | undefined;
    if (existsSync(out)) res = JSON.parse(readFileSync(out, 'utf8')) as ImplResult;
    if (r.status !== 0) {
      const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
      const why = `its benchmark process failed (${how}): ${lastLines(r.stderr ?? '', 2) || 'no output'}`;
      if (!res) res = { runtime: impl.runtime, name: impl.name, kind: impl.kind, unavailable: why, cells: {} };
      else if (!res.unavailable) res.info = `${res.info ?? ''} (then ${why})`;
    }
    results.push(res!);
    log(`  ${res!.unavailable ? `unavailable: ${res!.unavailable}` : `${Object.keys(res!.cells).length} cells`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const cpu = cpus();
  const report: Report = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}`,
    node: process.versions.node,
    mode: args.quick ? `quick (${'3 rounds of ~25 ms'})` : '7 rounds of ~100 ms after a 150 ms warm-up',
    results,
  };
  process.stdout.write(`\n${toText(report)}\n`);
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({ ...report, setup }, null, 1));
  mkdirSync(dirname(args.md), { recursive: true });
  writeFileSync(args.md, toMarkdown(report));
  log(`wrote ${args.json} and ${args.md}; each process's log is in ${runDir}`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
