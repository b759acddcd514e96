import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './fixtures.js';

let seq = 0;

/** Run an ES module (source text) in a new node process inside the package, so that
 * `import ... from 'metaffi'` resolves. */
export function runScript(name: string, source: string, env: Record<string, string | undefined> = {}): SpawnSyncReturns<string> {
  const dir = join(repoRoot, '.build', 'scripts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${process.pid}-${seq++}.mjs`);
  writeFileSync(file, source);
  return spawnSync(process.execPath, [file], {
    cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 5 * 60 * 1000, maxBuffer: 64 << 20,
  });
}
