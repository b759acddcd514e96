/**
 * Memory stays flat in a long synchronous loop (the event loop never turns while it runs):
 * each kind of call, 200k times in a child process of its own, grows RSS by less than a
 * fixed allowance (heap sizing, caches) plus 30 MiB per million calls. The leak this guards
 * against (native records of handles and JS values freed only when the event loop turned)
 * grew RSS by 220-250 MiB per million calls. The full million per kind and runtime is
 * measured by `npm run bench -- --memory`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture, repoRoot } from '../support/fixtures.js';
import { guestClasses } from '../support/java.js';
import { goGuest } from '../go/guests.js';
import type { MemoryJob, MemoryKind } from './memory_child.js';
import { sanitizerRssSlackMiB } from '../sanitize.js';

const CALLS = 200_000;
// plus ASan's quarantine under METAFFI_SANITIZE=address (see sanitize.ts)
const ALLOWANCE_MIB = 16 + (30 * CALLS) / 1_000_000 + sanitizerRssSlackMiB();

const CHECKED: Record<MemoryJob['runtime'], MemoryKind[]> = {
  python3: ['string', 'array', 'dropped', 'released', 'callback', 'exception'],
  go: ['string', 'array', 'dropped', 'released', 'callback', 'exception'],
  openjdk: ['string', 'array', 'dropped', 'released', 'callback', 'exception'],
};

const paths = { python: fixture('python', 'guest.py'), java: guestClasses(), go: goGuest('guest') };

describe(`core: RSS stays flat over ${CALLS} calls in a synchronous loop (each in a child process)`, () => {
  for (const [runtime, kinds] of Object.entries(CHECKED) as [MemoryJob['runtime'], MemoryKind[]][]) {
    for (const kind of kinds) {
      it(`${runtime}: ${kind}`, () => {
        const job: MemoryJob = { runtime, kind, calls: CALLS, paths };
        const r = spawnSync(process.execPath, [join(repoRoot, '.build', 'test', 'core', 'memory_child.js'), JSON.stringify(job)], {
          cwd: repoRoot, encoding: 'utf8', timeout: 5 * 60 * 1000,
        });
        assert.equal(r.signal, null, r.stderr);
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { growthMiB: number };
        assert.ok(out.growthMiB < ALLOWANCE_MIB,
          `${runtime} ${kind}: RSS grew by ${out.growthMiB.toFixed(1)} MiB over ${CALLS} calls (allowed ${ALLOWANCE_MIB} MiB)`);
      });
    }
  }
});
