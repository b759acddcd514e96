/**
 * Runs every test file under .build/test (compiled from test/) with node's test runner and
 * prints the spec report. Fails when any test fails, is skipped or marked todo, or when no
 * test ran at all: a run that proves nothing is not green.
 *
 * Usage: node .build/test/run.js [name-filter ...]
 * With METAFFI_SANITIZE=address the runner starts itself again with the sanitizer runtimes
 * preloaded (test/sanitize.ts), so that every test process inherits them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { sanitizerEnv, sanitizerPreloaded, sanitizing } from './sanitize.js';

const root = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);

function collect(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...collect(full));
    else if (name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

if (sanitizing() && !sanitizerPreloaded()) {
  // every process of the run writes its sanitizer reports here; any report fails the run,
  // also one from a child process whose failure a test expected
  const reports = mkdtempSync(join(tmpdir(), 'metaffi-sanitizer-'));
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: sanitizerEnv(process.env, reports) });
  if (r.error) throw r.error;
  const found = readdirSync(reports).sort();
  for (const name of found) console.log(`\nsanitizer report ${join(reports, name)}:\n${readFileSync(join(reports, name), 'utf8')}`);
  if (found.length > 0) {
    console.log(`FAIL: ${found.length} process${found.length === 1 ? '' : 'es'} reported memory errors or undefined behaviour (above)`);
    process.exit(1);
  }
  rmSync(reports, { recursive: true, force: true });
  process.exit(r.status ?? 1);
}

const files = collect(root).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
let passed = 0;
let failed = 0;
let skipped = 0;

const stream = run({ files, concurrency: 1, timeout: 20 * 60 * 1000 });
stream.on('test:pass', (e: { skip?: unknown; todo?: unknown; details?: { type?: string } }) => {
  if (e.details?.type === 'suite') return;
  if (e.skip !== undefined || e.todo !== undefined) skipped++;
  else passed++;
});
stream.on('test:fail', (e: { details?: { type?: string } }) => {
  if (e.details?.type === 'suite') return;
  failed++;
});
stream.compose(new spec()).pipe(process.stdout);
stream.on('end', () => {
  const summary = `metaffi tests: ${passed} passed, ${failed} failed, ${skipped} skipped or todo, ${files.length} files`;
  setImmediate(() => {
    console.log(summary);
    if (files.length === 0 || passed === 0) {
      console.log('FAIL: no test ran');
      process.exitCode = 1;
    } else if (failed > 0 || skipped > 0) {
      console.log(skipped > 0 ? 'FAIL: skipped tests do not count as passing' : 'FAIL');
      process.exitCode = 1;
    }
  });
});
