/**
 * Fuzzing every runtime's conversions: seeded random values with random declared types go to
 * echo entities of python3, openjdk and go in a child process. Every outcome must be a value
 * or a MetaFFIError/TypeError/RangeError (never a signal, an abort or another error), and an
 * echo declared with its own type must return what it was given.
 *
 * CI runs a short seeded run. METAFFI_FUZZ_ITERATIONS (and METAFFI_FUZZ_SEED) select a longer
 * one, e.g. METAFFI_FUZZ_ITERATIONS=200000 node .build/test/run.js fuzz/
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture, repoRoot } from '../support/fixtures.js';
import { guestClasses } from '../support/java.js';
import { metaffi } from '../go/guests.js';
import type { FuzzConfig } from './fuzzer.js';

const iterations = Number(process.env.METAFFI_FUZZ_ITERATIONS ?? 4000);
const seeds = process.env.METAFFI_FUZZ_SEED ? [Number(process.env.METAFFI_FUZZ_SEED)] : [1, 2];

/**
 * Left out until the parts that own them are fixed (each found by this fuzzer; each line
 * says what fails). METAFFI_FUZZ_ALL=1 runs without them.
 */
const knownOpen: string[] = process.env.METAFFI_FUZZ_ALL ? [] : [
];

/** The Go guest of test/fuzz/go/echo, built once per change of its source or the compiler. */
function goEcho(): string {
  const src = join(repoRoot, 'test', 'fuzz', 'go', 'echo');
  const outDir = join(repoRoot, 'build', 'test-go', 'fuzz_echo');
  const lib = join(outDir, 'echo_MetaFFIGuest');
  const inputs = Math.max(statSync(join(src, 'echo.go')).mtimeMs, statSync(join(repoRoot, 'src', 'compiler', 'go_guest.ts')).mtimeMs,
    statSync(join(repoRoot, 'runtimes', 'go', 'guest', 'metaffi_runtime.go')).mtimeMs);
  if (existsSync(`${lib}.so`) && statSync(`${lib}.so`).mtimeMs >= inputs) return lib;
  const r = metaffi(['-c', '--idl', src, '-g', 'go', '-o', outDir]);
  if (r.status !== 0) throw new Error(`building the Go guest for the fuzzer failed:\n${r.stderr}`);
  return lib;
}

function runFuzz(seed: number): { status: number | null; signal: string | null; stdout: string; stderr: string; last: string } {
  const dir = join(repoRoot, '.build', 'fuzz');
  mkdirSync(dir, { recursive: true });
  const progress = join(dir, `progress-${process.pid}-${seed}.txt`);
  const cfg: FuzzConfig = {
    seed, iterations, progress, exclude: knownOpen,
    paths: { python: fixture('python', 'guest.py'), hostile: fixture('python', 'hostile.py'), java: guestClasses(), go: goEcho() },
  };
  const r = spawnSync(process.execPath, [join(repoRoot, '.build', 'test', 'fuzz', 'fuzzer.js'), JSON.stringify(cfg)], {
    cwd: repoRoot, encoding: 'utf8', timeout: 10 * 60 * 1000, maxBuffer: 64 << 20,
  });
  let last = '';
  try { last = readFileSync(progress, 'utf8').trim(); } catch { /* the child never started a case */ }
  rmSync(progress, { force: true });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, last };
}

describe('fuzzing python3, openjdk and go conversions (in a child process)', () => {
  for (const seed of seeds) {
    it(`seed ${seed}, ${iterations} calls: only values and MetaFFIError/TypeError/RangeError, exact echoes return their input`, () => {
      const r = runFuzz(seed);
      assert.equal(r.signal, null, `the fuzzer died of ${r.signal} at: ${r.last}\n${r.stderr.slice(-3000)}`);
      assert.equal(r.status, 0, `the fuzzer exited with ${r.status} at: ${r.last}\n${r.stderr.slice(-3000)}`);
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { calls: number; values: number; errors: Record<string, number>; problems: string[] };
      assert.deepEqual(result.problems, []);
      // the run did exercise both outcomes
      assert.ok(result.values > iterations / 10, JSON.stringify(result));
      assert.ok((result.errors.MetaFFIError ?? 0) + (result.errors.TypeError ?? 0) > iterations / 10, JSON.stringify(result));
    });
  }
});
