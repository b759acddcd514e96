/**
 * Shared set-up of the ported MetaFFI correctness suite (MetaFFI/Tests: python3/call_java,
 * python3/call_go, go/call_python3, go/call_java, java/call_python3, java/call_go), run
 * through this package's TypeScript API against the guests of
 * test/fixtures/metaffi_suite/{python3,java,go}.
 *
 * The guests are built on first use: the Java guest with the JDK's javac into a jar (as
 * MetaFFI's guest_java.jar), the Go guest with `metaffi -c --idl <dir> -g go` (as a user
 * would). A guest that cannot be built fails every test that needs it with the reason.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { findJdkTool } from '../../src/runtimes/openjdk/discovery.js';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { MetaFFITypeInfo, MetaFFITypes as T, MetaFFIError, MetaFFIHandle, type MetaFFIModule } from 'metaffi';
import { fixture, repoRoot } from '../support/fixtures.js';

export { T };

/** A type: `ti(T.metaffi_int64_array_type, 2)`, `ti(T.metaffi_handle_type, 0, 'java.util.List')`. */
export function ti(type: T, dims?: number, alias?: string): MetaFFITypeInfo {
  return new MetaFFITypeInfo(type, alias ?? null, dims && dims > 0 ? dims : undefined);
}

/** The fixture folder of a guest language. */
export function guestDir(lang: 'python3' | 'java' | 'go', ...rest: string[]): string {
  return fixture('metaffi_suite', lang, ...rest);
}

/** The Python guest package (module/) and the single-file module. */
export const pythonPackage = guestDir('python3', 'module');
export const pythonSingleFile = guestDir('python3', 'single_file_module.py');

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

/** The JDK's tools, found the one way the package finds them (JAVA_HOME, else java on PATH). */
function jdkTool(name: 'javac' | 'jar'): string {
  return findJdkTool(name);
}

function javaSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...javaSources(full));
    else if (name.endsWith('.java')) out.push(full);
  }
  return out;
}

/** The Java guest (package guest, guest.sub) compiled into a jar; rebuilt when a source changes. */
export function javaGuestJar(): string {
  const src = guestDir('java', 'src');
  const out = join(repoRoot, '.build', 'fixtures', 'metaffi_suite', 'java');
  const classes = join(out, 'classes');
  const jar = join(out, 'guest_java.jar');
  if (existsSync(jar) && statSync(jar).mtimeMs >= newest(src)) return jar;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(classes, { recursive: true });
  execFileSync(jdkTool('javac'), ['--release', '17', '-encoding', 'UTF-8', '-g', '-d', classes, ...javaSources(src)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync(jdkTool('jar'), ['--create', '--file', jar, '-C', classes, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return jar;
}

/**
 * The Go guest library of test/fixtures/metaffi_suite/go/guest built with the metaffi command
 * into build/test-go/metaffi_suite; returns its path (guest_MetaFFIGuest, without .so).
 */
export function goGuestLibrary(): string {
  const src = guestDir('go', 'guest');
  const outDir = join(repoRoot, 'build', 'test-go', 'metaffi_suite');
  const lib = join(outDir, 'guest_MetaFFIGuest');
  const inputs = Math.max(newest(src), newest(join(repoRoot, 'runtimes', 'go')), newest(join(repoRoot, 'dist', 'compiler')),
    statSync(join(repoRoot, 'xllr', 'metaffi.h')).mtimeMs);
  if (existsSync(`${lib}.so`) && statSync(`${lib}.so`).mtimeMs >= inputs) return lib;
  const cli = join(repoRoot, 'dist', 'cli', 'main.js');
  const r = spawnSync(process.execPath, [cli, '-c', '--idl', src, '-g', 'go', '-o', outDir],
    { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`metaffi -c --idl ${src} -g go failed:\n${r.stderr}${r.stdout}`);
  return lib;
}

/** Loads a module once; every later call gives the same module, or throws the same error. */
export function lazyModule(load: () => MetaFFIModule): () => MetaFFIModule {
  let mod: MetaFFIModule | undefined;
  let error: unknown;
  return () => {
    if (mod) return mod;
    if (error !== undefined) throw error;
    try {
      mod = load();
      return mod;
    } catch (e) {
      error = e;
      throw e;
    }
  };
}

/** Asserts that `fn` throws a MetaFFIError whose message matches `pattern`. */
export function throwsForeign(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MetaFFIError, `expected a MetaFFIError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Asserts a MetaFFIHandle (a foreign object), not null. */
export function assertHandle(v: unknown, what: string): asserts v is MetaFFIHandle {
  assert.ok(v instanceof MetaFFIHandle, `${what}: expected a MetaFFIHandle, got ${String(v)}`);
}

/** The numbers of an array or typed array, as a plain array. */
export function nums(v: unknown): number[] {
  assert.ok(Array.isArray(v) || ArrayBuffer.isView(v), `expected an array, got ${String(v)}`);
  return Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
}

/** `a` within 1e-10 of `b`. */
export function near(a: unknown, b: number, eps = 1e-10): void {
  assert.equal(typeof a, 'number', `expected a number, got ${String(a)}`);
  assert.ok(Math.abs((a as number) - b) < eps, `${String(a)} is not ${b}`);
}
