/**
 * Go faults the Go runtime cannot recover from (unbounded recursion, a panic in a goroutine no
 * call waits for) and what the guest runtime offers against them: METAFFI_GO_MAX_STACK, and
 * MetaFFIGo / MetaFFIRecover for goroutines. Each scenario runs in a child process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/fixtures.js';
import { goGuest } from './guests.js';

const child = join(repoRoot, '.build', 'test', 'go', 'faults_child.js');

function run(scenario: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [child, scenario], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, METAFFI_TEST_GUEST: goGuest('faults/faults.go'), ...env },
  });
}

/** Go's fatal end of a process: in a c-shared library it aborts (SIGABRT) rather than exit(2). */
function ended(r: { status: number | null; signal: NodeJS.Signals | null }): void {
  assert.ok(r.signal === 'SIGABRT' || r.status === 2, `status ${r.status} signal ${r.signal}`);
}

describe('go faults that end the process', () => {
  it('a panic in a goroutine started with MetaFFIGo is reported on stderr; the process goes on', () => {
    const r = run('PanicLater');
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^alive 5$/m);
    assert.equal(r.stderr.match(/metaffi: recovered a panic in a goroutine: boom in a goroutine/g)?.length, 2, r.stderr);
  });

  it('a goroutine that defers MetaFFIRecover reports its panic; the process goes on', () => {
    const r = run('PanicRecovered');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^alive 5$/m);
    assert.match(r.stderr, /metaffi: recovered a panic in a goroutine: assignment to entry in nil map/);
  });

  it('a panic in a plain goroutine ends the process (Go allows no recovery from outside it)', () => {
    const r = run('unprotected');
    assert.match(r.stdout, /^before$/m);
    assert.doesNotMatch(r.stdout, /unexpected/);
    ended(r);
    assert.match(r.stderr, /panic: unprotected/);
  });

  it('METAFFI_GO_MAX_STACK bounds a goroutine\'s stack: unbounded recursion ends the process at that size', () => {
    const r = run('recurse', { METAFFI_GO_MAX_STACK: '8M' });
    assert.match(r.stdout, /^before$/m);
    assert.doesNotMatch(r.stdout, /unexpected/);
    ended(r);
    assert.match(r.stderr, /goroutine stack exceeds 8388608-byte limit/);
    assert.match(r.stderr, /fatal error: stack overflow/);
  });

  it('a METAFFI_GO_MAX_STACK that is not a size is reported and ignored', () => {
    const r = run('PanicRecovered', { METAFFI_GO_MAX_STACK: 'lots' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /METAFFI_GO_MAX_STACK="lots" is not a size/);
  });
});
