/**
 * The memory group of the benchmark (`npm run bench -- --memory`): RSS growth of a million
 * calls of each kind (strings, arrays, handles dropped and handles released, fresh
 * callbacks, exceptions) in a synchronous loop, per runtime, each in a child process of its
 * own (test/core/memory_child.ts; the test suite runs the same child with fewer calls).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixture, repoRoot } from '../test/support/fixtures.js';
import { guestClasses } from '../test/support/java.js';
import { goGuest } from '../test/go/guests.js';
import { MEMORY_KINDS, type MemoryJob } from '../test/core/memory_child.js';
import type { RuntimeName } from './common.js';

/** Target: below this many MiB per million calls of one kind. */
const TARGET_MIB = 30;

export function runMemory(runtimes: Set<RuntimeName>, calls: number): void {
  const paths = { python: fixture('python', 'guest.py'), java: guestClasses(), go: goGuest('guest') };
  const child = join(repoRoot, '.build', 'test', 'core', 'memory_child.js');
  console.log(`RSS growth over ${calls} calls in a synchronous loop (target: < ${TARGET_MIB} MiB per million)`);
  console.log(`${'runtime'.padEnd(10)}${MEMORY_KINDS.map((k) => k.padStart(11)).join('')}`);
  for (const runtime of runtimes) {
    const cells: string[] = [];
    for (const kind of MEMORY_KINDS) {
      const job: MemoryJob = { runtime, kind, calls, paths };
      const r = spawnSync(process.execPath, [child, JSON.stringify(job)], { cwd: repoRoot, encoding: 'utf8' });
      const line = r.status === 0 ? r.stdout.trim().split('\n').at(-1) : undefined;
      const mib = line ? (JSON.parse(line) as { growthMiB: number }).growthMiB : NaN;
      const over = mib >= (TARGET_MIB * calls) / 1_000_000;
      cells.push((Number.isNaN(mib) ? `failed(${r.signal ?? r.status})` : `${mib.toFixed(1)} MiB${over ? '!' : ' '}`).padStart(11));
    }
    console.log(`${runtime.padEnd(10)}${cells.join('')}`);
  }
  console.log('("!": above the target)');
}
