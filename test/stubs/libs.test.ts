/**
 * Generated stubs type-check in projects set up the plainest ways: `tsc --strict --target
 * es2022` with TypeScript's default lib for that target, with and without @types/node, and
 * with the esnext.disposable lib besides (where Symbol.dispose is declared twice).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture, repoRoot } from '../support/fixtures.js';
import { metaffiOk, workDir } from './helpers.js';

/** A program that uses a stub class, its release and (typed) its dispose method. */
const program = `
import { bindModuleToCode, NewTestMap, TestMap } from './guest_MetaFFIHost.js';

export function useGuest(path: string): boolean {
  bindModuleToCode(path);
  const map: TestMap = NewTestMap();
  map.Set('k', 1);
  const has: boolean = map.Contains('k');
  const dispose: () => void = map[Symbol.dispose];
  map.release();
  return has && typeof dispose === 'function';
}
`;

function check(dir: string, options: Record<string, unknown>): { status: number | null; output: string } {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, ...options },
    include: ['*.ts'],
  }));
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('stubs: type-check with the default lib of --target es2022', () => {
  const setups: [string, Record<string, unknown>][] = [
    ['without @types/node', { types: [] }],
    ['with @types/node', { types: ['node'] }],
    ['without @types/node, skipLibCheck', { types: [], skipLibCheck: true }],
    ['with the esnext.disposable lib and @types/node', { lib: ['ES2022', 'ESNext.Disposable'], types: ['node'] }],
    ['with the esnext lib, without @types/node', { lib: ['ESNext'], types: [] }],
  ];
  for (const [name, options] of setups) {
    it(name, () => {
      const dir = workDir(`libs-${name.replace(/[^a-z]+/gi, '-')}`);
      metaffiOk(['-c', '--idl', fixture('stubs', 'metaffi-go-guest.idl.json'), '-h', 'typescript', '-o', dir]);
      writeFileSync(join(dir, 'use_guest.ts'), program);
      const r = check(dir, options);
      assert.equal(r.status, 0, `tsc --strict (${name}) failed:\n${r.output}`);
    });
  }
});
