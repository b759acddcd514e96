import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from './support/fixtures.js';

/** Every ```ts block of the README runs as written; a `console.log(...); // expected` line
 * must print exactly the expected text. */
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const outDir = join(repoRoot, '.build', 'readme');

describe('README examples', () => {
  it('has examples', () => assert.ok(blocks.length >= 3));

  blocks.forEach((source, i) => {
    const firstLine = source.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? '';
    it(`example ${i + 1}: ${firstLine.trim().slice(0, 60)}`, () => {
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, `example${i + 1}.mjs`);
      writeFileSync(file, js);
      const r = spawnSync(process.execPath, [file], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}`);
      const expected = source.split('\n')
        .filter((l) => /^\s*console\.log\(/.test(l) && l.includes('// '))
        .map((l) => l.slice(l.lastIndexOf('// ') + 3).trim());
      const printed = r.stdout.trim().split('\n').map((l) => l.trim());
      assert.deepEqual(printed, expected);
    });
  });
});
