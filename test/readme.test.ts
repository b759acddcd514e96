import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from './support/fixtures.js';

/** Every ```ts block of the README and of each page docs/*.md runs as written; a
 * `console.log(...); // expected` line must print exactly the expected text. Blocks marked
 * ```typescript are shown, not run (they need generated stubs or files the tests do not have).
 * Pages under docs/notes/ are working notes, not pages. */
const pages = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort()
  .map((f) => `docs/${f}`)];
const text = (page: string): string => readFileSync(join(repoRoot, page), 'utf8');
const tsBlocks = (page: string): string[] => [...text(page).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const outDir = join(repoRoot, '.build', 'readme');

function runExample(name: string, source: string): void {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.mjs`);
  writeFileSync(file, js);
  const r = spawnSync(process.execPath, [file], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, `${name} failed:\n${r.stderr}`);
  const expected = source.split('\n')
    .filter((l) => /^\s*console\.log\(/.test(l) && l.includes('// '))
    .map((l) => l.slice(l.lastIndexOf('// ') + 3).trim());
  const printed = r.stdout.trim().split('\n').map((l) => l.trim());
  assert.deepEqual(printed, expected);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  for (const m of withoutCode.matchAll(/^#{1,6} (.*)$/gm)) {
    const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('README and docs examples', () => {
  it('the README has examples', () => assert.ok(tsBlocks('README.md').length >= 1));
  it('the docs have examples', () => {
    const total = pages.filter((p) => p !== 'README.md').reduce((n, p) => n + tsBlocks(p).length, 0);
    assert.ok(total >= 8, `only ${total} examples in docs/*.md`);
  });

  for (const page of pages) {
    const stem = page === 'README.md' ? 'readme' : page.slice('docs/'.length, -'.md'.length);
    tsBlocks(page).forEach((source, i) => {
      const firstLine = source.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? '';
      it(`${page} example ${i + 1}: ${firstLine.trim().slice(0, 60)}`, () => runExample(`${stem}-example${i + 1}`, source));
    });
  }
});

describe('README and docs links', () => {
  for (const page of pages) {
    it(`${page}: every relative link reaches an existing file and heading`, () => {
      const bad: string[] = [];
      const withoutCode = text(page).replace(/```[\s\S]*?```/g, '');
      for (const m of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const path = file === '' ? join(repoRoot, page) : join(repoRoot, dirname(page), file);
        if (!existsSync(path)) { bad.push(`${target}: no such file`); continue; }
        if (anchor !== undefined && !anchors(readFileSync(path, 'utf8')).has(anchor)) bad.push(`${target}: no such heading`);
      }
      assert.deepEqual(bad, []);
    });
    if (page !== 'README.md') {
      it(`${page} says what it is for and links back to the README`, () => {
        const lines = text(page).split('\n');
        assert.match(lines[0]!, /^# /);
        assert.match(lines.slice(1, 6).join('\n'), /\]\(\.\.\/README\.md\)/);
      });
    }
  }
});
