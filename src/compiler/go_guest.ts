/**
 * The Go guest compiler: `metaffi -c --idl <file.go or package folder> -g go`.
 *
 * The Go side lives in the Go toolchain: go/metaffi-go reads the package with go/parser and
 * go/types (imports, third-party modules included, come from `go list -export`) and writes
 * a build module holding the generated entity wrappers (metaffi_entities.go), the guest
 * runtime (go/guest/metaffi_runtime.go) and metaffi.h; `go build -buildmode=c-shared` then
 * makes <name>_MetaFFIGuest.so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from '../idl/schema.js';
import { buildDir, nativeSourceDir, packageRoot } from '../paths.js';

const goDir = join(packageRoot, 'go');

let goExe: string | undefined;

/** The Go toolchain: `go` on PATH, else the standard install location /usr/local/go. */
export function findGo(): string {
  if (goExe) return goExe;
  const searched: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'go');
    searched.push(candidate);
    if (existsSync(candidate) && statSync(candidate).isFile()) return (goExe = candidate);
  }
  const fallback = '/usr/local/go/bin/go';
  searched.push(fallback);
  if (existsSync(fallback)) return (goExe = fallback);
  throw new MetaFFIError(`the Go toolchain is needed to read and build Go code, but no 'go' was found (searched ${searched.join(', ')}); ` +
    'install Go and put it on PATH');
}

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    t = Math.max(t, st.isDirectory() ? newest(full) : st.mtimeMs);
  }
  return t;
}

function run(exe: string, args: string[], cwd: string, what: string, env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(exe, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    const detail = (err.stderr || err.stdout || err.message).trim();
    throw new MetaFFIError(`${what}:\n${detail}`);
  }
}

/** The metaffi-go helper program (go/metaffi-go), built with the Go toolchain when missing
 * or older than its sources. */
export function goHelper(): string {
  const src = join(goDir, 'metaffi-go');
  const out = join(buildDir(), 'tools', 'metaffi-go');
  if (existsSync(out) && statSync(out).mtimeMs >= newest(src)) return out;
  mkdirSync(join(buildDir(), 'tools'), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  run(findGo(), ['build', '-o', tmp, '.'], src, 'building the metaffi Go helper failed');
  renameSync(tmp, out);
  return out;
}

/** Run the helper; its notes (entities left out) go to our stderr. */
export function runGoHelper(args: string[], what: string): string {
  const helper = goHelper();
  const r = spawnSync(helper, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PATH: `${join(findGo(), '..')}${delimiter}${process.env.PATH ?? ''}` } });
  if (r.error) throw new MetaFFIError(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new MetaFFIError(`${what}: ${(r.stderr || `exit status ${r.status}`).trim()}`);
  if (r.stderr) process.stderr.write(r.stderr);
  return r.stdout;
}

/**
 * Build the Go guest library of `source` (a .go file, read alone, or a package folder)
 * into outDir; returns the path written.
 */
export function compileGoGuest(source: string, idl: IdlDefinition, outDir: string): string[] {
  const src = resolve(source);
  const work = mkdtempSync(join(tmpdir(), 'metaffi-go-'));
  try {
    const name = runGoHelper(['prepare', src, work, join(goDir, 'guest', 'metaffi_runtime.go'), join(nativeSourceDir, 'metaffi.h')],
      `cannot build a Go guest from ${source}`).trim() || idl.metaffi_guest_lib.replace(/_MetaFFIGuest$/, '');
    const lib = `${name}_MetaFFIGuest.so`;
    const flags = [process.env.GOFLAGS ?? '', '-mod=mod'].filter((f) => f !== '').join(' ');
    const go = findGo();
    try {
      execFileSync(go, ['build', '-buildmode=c-shared', '-o', join(work, lib), '.'], {
        cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, CGO_ENABLED: '1', GOFLAGS: flags },
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      // Point the messages at the user's files, not at the copies in the build folder.
      const text = (err.stderr || err.message).split(work + '/').join(existsSync(src) && statSync(src).isDirectory() ? src + '/' : join(src, '..') + '/');
      throw new MetaFFIError(`the Go compiler failed to build the guest for ${source}:\n${text.trim()}`);
    }
    mkdirSync(outDir, { recursive: true });
    const dest = join(outDir, lib);
    // Replace by rename: a process that has the old library loaded keeps its copy intact.
    const tmp = `${dest}.${process.pid}.tmp`;
    copyFileSync(join(work, lib), tmp);
    renameSync(tmp, dest);
    return [dest];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm install` step: the guest of examples/go/hello.go for the demo and the README,
 * unless it is already newer than its sources. */
export function buildGoExample(): string {
  const src = join(packageRoot, 'examples', 'go', 'hello.go');
  if (!existsSync(src)) throw new Error('examples/go/hello.go is not part of this installation');
  const out = join(packageRoot, 'examples', 'go', 'hello_MetaFFIGuest.so');
  const inputs = Math.max(statSync(src).mtimeMs, newest(goDir), statSync(join(nativeSourceDir, 'metaffi.h')).mtimeMs, statSync(join(nativeSourceDir, 'metaffi_types.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= inputs) return out;
  return compileGoGuest(src, { metaffi_guest_lib: 'hello_MetaFFIGuest' } as IdlDefinition, join(packageRoot, 'examples', 'go'))[0]!;
}
