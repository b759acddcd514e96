/**
 * The Go toolchain and the metaffi-go program (runtimes/go/generator): it reads a Go package
 * with go/parser and go/types (for the IDL) and writes a guest's build module (for the guest
 * compiler in src/compiler/go_guest.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cachedBuild, toolIdentity } from '../../build/cached.js';
import { MetaFFIError } from '../../errors.js';
import { buildDir, runtimeHome } from '../../paths.js';

/** Everything of the go runtime that is not TypeScript: plugin/, guest/, generator/. */
export const goHome = runtimeHome('go');

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

export function newest(dir: string): number {
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

/** The metaffi-go program (runtimes/go/generator), built with the Go toolchain when missing
 * or when its sources or the toolchain changed. */
export function goHelper(): string {
  const src = join(goHome, 'generator');
  const go = findGo();
  return cachedBuild({
    what: 'the metaffi Go helper',
    output: join(buildDir(), 'tools', 'metaffi-go'),
    inputs: [src],
    recipe: [toolIdentity(go), 'build'],
    build: (tmp) => { run(go, ['build', '-o', tmp, '.'], src, 'building the metaffi Go helper failed'); },
  });
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

