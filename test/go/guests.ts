/**
 * Builds the Go guest libraries of test/fixtures/go with the metaffi command (as a user
 * would), once: a guest is rebuilt only when its sources or the compiler changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, repoRoot } from '../support/fixtures.js';

export const cli = join(repoRoot, 'dist', 'cli', 'main.js');

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

/** Run the metaffi command; returns its status and output. */
export function metaffi(args: string[], cwd = repoRoot): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The guest library for test/fixtures/go/<source> (a package folder or a .go file), built
 * into build/test-go/<dir>; returns its path without the .so extension.
 */
export function goGuest(source: string): string {
  const src = fixture('go', source);
  const name = source.split('/').pop()!.replace(/\.go$/, '');
  const outDir = join(repoRoot, 'build', 'test-go', source.replace(/[/.]/g, '_'));
  const lib = join(outDir, `${name}_MetaFFIGuest`);
  const inputs = Math.max(newest(src), newest(join(repoRoot, 'runtimes', 'go')), statSync(join(repoRoot, 'src', 'compiler', 'go_guest.ts')).mtimeMs, statSync(join(repoRoot, 'xllr', 'metaffi.h')).mtimeMs);
  if (existsSync(`${lib}.so`) && statSync(`${lib}.so`).mtimeMs >= inputs) return lib;
  const r = metaffi(['-c', '--idl', src, '-g', 'go', '-o', outDir]);
  if (r.status !== 0) throw new Error(`building the Go guest ${source} failed:\n${r.stderr}`);
  return lib;
}
