/**
 * The bench set-up, run by run.ts before any measurement: builds the limit addons with the
 * system C compiler (like the package's own native build), compiles the Java bench classes
 * and the c-shared Go library, compiles the Go guest with the metaffi command, and installs
 * and builds the peers into bench/node_modules. Nothing that fails here stops the run: the
 * reason is recorded and the rows that need the part print it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findJdkTool } from '../src/runtimes/openjdk/discovery.js';
import { benchBuild, benchDir, fixtures, repoRoot, type RuntimeName, type SetupInfo } from './common.js';

interface CompileOptions {
  sources: string[];
  output: string;
  includeDirs?: string[];
  libs?: string[];
}
interface PythonInfo {
  executable: string;
  version: string;
  soabi: string;
  libpython: string | null;
  include: string;
}

/** The peers and the versions this benchmark was written against (bench/package.json). */
export const PEERS = ['node-calls-python', 'pythonia', 'java', 'java-bridge', 'koffi'] as const;

export interface SetupOptions {
  runtimes: Set<RuntimeName>;
  impls: Set<string> | null;
  quick: boolean;
  harness: SetupInfo['harness'];
  install: boolean;
  log: (line: string) => void;
}

function firstLine(e: unknown): string {
  const err = e as { message?: string; stderr?: Buffer | string };
  const text = `${err.stderr ? String(err.stderr) : ''}\n${err.message ?? String(e)}`;
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const useful = lines.find((l) => /error|cannot|not found|failed|fatal/i.test(l) && !/^Command failed/.test(l));
  return (useful ?? lines[0] ?? 'unknown error').slice(0, 300);
}

function newer(output: string, inputs: string[]): boolean {
  if (!existsSync(output)) return false;
  const t = statSync(output).mtimeMs;
  return inputs.every((f) => statSync(f).mtimeMs <= t);
}

function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** The JDK the openjdk runtime uses (its one lookup: JAVA_HOME, else `java` on PATH, symlinks resolved). */
export function findJavaHome(): string {
  return dirname(dirname(findJdkTool('java')));
}

function napiInclude(): string {
  const require = createRequire(join(repoRoot, 'package.json'));
  return (require('node-api-headers') as { include_dir: string }).include_dir;
}

/** Node's own headers (node.h, v8.h, common.gypi), which node-gyp needs for native peers. */
function nodeDir(): string {
  const dir = dirname(dirname(process.execPath));
  if (existsSync(join(dir, 'include', 'node', 'node.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi'))) return dir;
  throw new Error(`Node's headers are not installed beside ${process.execPath} (include/node/node.h), ` +
    'and node-gyp cannot download them here');
}

export async function setUp(o: SetupOptions): Promise<SetupInfo> {
  const info: SetupInfo = { quick: o.quick, harness: o.harness, limits: {}, missing: {}, peersDir: benchDir };
  // An implementation's async variant ('metaffi-async', 'java-async') needs what it needs.
  const want = (impl: string) => o.impls === null || o.impls.has(impl) || o.impls.has(`${impl}-async`);
  const step = (key: string, what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      info.missing[key] = firstLine(e);
      o.log(`${what}: unavailable: ${info.missing[key]}`);
    }
  };
  const { compileShared } = (await import(pathToFileURL(join(repoRoot, 'dist', 'build', 'native_build.js')).href)) as {
    compileShared(opts: CompileOptions): string;
  };
  const limitsDir = join(benchBuild, 'limits');
  mkdirSync(limitsDir, { recursive: true });
  let napi = '';
  step('napi', 'Node-API headers', () => {
    napi = napiInclude();
  });

  if (o.runtimes.has('python3')) {
    const { findPython } = (await import(pathToFileURL(join(repoRoot, 'dist', 'runtimes', 'python3', 'discovery.js')).href)) as {
      findPython(): PythonInfo;
    };
    let py: PythonInfo | undefined;
    step('python', 'python3', () => {
      py = findPython();
      info.python = { executable: py.executable, version: py.version };
    });
    if (py && want('limit')) {
      const p = py;
      step('limit:python3', 'the python3 limit addon', () => {
        info.limits.python3 = compileShared({
          sources: [join(benchDir, 'native', 'limit_python3.c')],
          output: join(limitsDir, p.soabi, 'limit_python3.node'),
          includeDirs: [napi, p.include],
          libs: [p.libpython!, `-Wl,-rpath,${dirname(p.libpython!)}`],
        });
      });
    } else if (!py) {
      info.missing['limit:python3'] = info.missing.python!;
    }
  }

  if (o.runtimes.has('openjdk')) {
    let home: string | undefined;
    step('java-classes', 'the Java bench classes', () => {
      home = findJavaHome();
      info.javaHome = home;
      const out = join(benchBuild, 'java');
      const srcDir = join(fixtures, 'java', 'bench');
      const sources = readdirSync(srcDir).filter((f) => f.endsWith('.java')).map((f) => join(srcDir, f));
      if (!newer(join(out, 'bench', 'Bench.class'), sources)) {
        execFileSync(join(home, 'bin', 'javac'), ['-d', out, ...sources], { stdio: ['ignore', 'pipe', 'pipe'] });
      }
      info.javaClasses = out;
    });
    if (home && want('limit')) {
      const h = home;
      step('limit:openjdk', 'the JNI limit addon', () => {
        info.limits.openjdk = compileShared({
          sources: [join(benchDir, 'native', 'limit_jni.c')],
          output: join(limitsDir, 'limit_jni.node'),
          includeDirs: [napi, join(h, 'include'), join(h, 'include', 'linux')],
          libs: [`-L${join(h, 'lib', 'server')}`, '-ljvm', `-Wl,-rpath,${join(h, 'lib', 'server')}`],
        });
      });
    } else if (!home) {
      info.missing['limit:openjdk'] = info.missing['java-classes']!;
    }
  }

  if (o.runtimes.has('go')) {
    step('go-cshared', 'the c-shared Go library', () => {
      const go = onPath('go');
      if (!go) throw new Error('no go on PATH');
      const src = join(fixtures, 'go-cshared', 'bench_cshared.go');
      const out = join(benchBuild, 'go', 'libbench_cshared.so');
      if (!newer(out, [src])) {
        mkdirSync(dirname(out), { recursive: true });
        execFileSync(go, ['build', '-buildmode=c-shared', '-o', out, src], {
          cwd: dirname(src), stdio: ['ignore', 'pipe', 'pipe'],
        });
      }
      info.goCShared = out;
    });
    if (want('limit')) {
      step('limit:go', 'the cgo limit addon', () => {
        info.limits.go = compileShared({
          sources: [join(benchDir, 'native', 'limit_go.c')],
          output: join(limitsDir, 'limit_go.node'),
          includeDirs: [napi],
        });
      });
    }
    if (want('metaffi')) {
      step('go-guest', 'the Go guest (metaffi -c --idl bench.go -g go)', () => {
        const out = join(benchBuild, 'go-guest');
        mkdirSync(out, { recursive: true });
        const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), '-c', '--idl',
          join(fixtures, 'go', 'bench.go'), '-g', 'go', '-o', out], { encoding: 'utf8' });
        if (r.status !== 0) {
          throw new Error(`metaffi -c --idl bench.go -g go failed: ${(r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
        }
        info.goGuestDir = out;
      });
    }
  }

  const peersWanted = PEERS.filter((p) => want(p) && o.runtimes.has(peerRuntime(p)));
  if (peersWanted.length > 0) installPeers(info, peersWanted, o);
  return info;
}

function peerRuntime(p: (typeof PEERS)[number]): RuntimeName {
  return p === 'node-calls-python' || p === 'pythonia' ? 'python3' : p === 'koffi' ? 'go' : 'openjdk';
}

function installed(name: string): boolean {
  return existsSync(join(benchDir, 'node_modules', name, 'package.json'));
}

/** npm install in bench/ (scripts not run: npm would not run them unapproved), then build
 * the native peers explicitly with node-gyp against Node's local headers. */
function installPeers(info: SetupInfo, peers: readonly string[], o: SetupOptions): void {
  if (!peers.every(installed) || !installed('node-gyp')) {
    if (!o.install) {
      for (const p of peers) if (!installed(p)) info.missing[`peer:${p}`] = 'not installed (run without --no-install)';
    } else {
      o.log('installing the peers into bench/node_modules (npm install, first run only)');
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: benchDir, encoding: 'utf8' });
      if (r.status !== 0) {
        const why = `npm install in bench/ failed: ${firstLine({ message: r.stderr || r.stdout })}`;
        for (const p of peers) if (!installed(p)) info.missing[`peer:${p}`] = why;
      }
    }
  }
  const gyp = join(benchDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const build = (name: string, binary: string, args: string[], env: NodeJS.ProcessEnv) => {
    if (info.missing[`peer:${name}`] || !peers.includes(name)) return;
    const dir = join(benchDir, 'node_modules', name);
    if (existsSync(join(dir, 'build', 'Release', binary))) return;
    try {
      const nd = nodeDir();
      if (!existsSync(gyp)) throw new Error('node-gyp is not installed in bench/node_modules');
      o.log(`building ${name} with node-gyp`);
      execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nd}`, ...args], {
        cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      info.missing[`peer:${name}`] = `building ${name} failed: ${firstLine(e)}`;
      o.log(`${name}: unavailable: ${info.missing[`peer:${name}`]}`);
    }
  };
  build('node-calls-python', 'nodecallspython.node', [], {});
  if (peers.includes('java') && info.javaHome) {
    const home = info.javaHome;
    build('java', 'nodejavabridge_bindings.node', [`-Djavalibdir=${join(home, 'lib', 'server')}`], { JAVA_HOME: home });
    const dir = join(benchDir, 'node_modules', 'java');
    if (!info.missing['peer:java'] && !existsSync(join(dir, 'build', 'jvm_dll_path.json'))) {
      try {
        execFileSync(process.execPath, [join(dir, 'scripts', 'postInstall.js')], {
          cwd: dir, env: { ...process.env, JAVA_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (e) {
        info.missing['peer:java'] = `java's post-install step failed: ${firstLine(e)}`;
      }
    }
  } else if (peers.includes('java')) {
    info.missing['peer:java'] = info.missing['java-classes'] ?? 'no JVM';
  }
}
