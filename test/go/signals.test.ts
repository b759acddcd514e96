import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture, repoRoot } from '../support/fixtures.js';
import { goGuest } from './guests.js';

// Go installs its signal handlers when a guest library loads (for c-shared: the synchronous
// signals and SIGPIPE, keeping the previous handlers and forwarding to them what happens
// outside Go code). Each scenario runs in a fresh process.
const child = join(repoRoot, '.build', 'test', 'go', 'signal_child.js');

function run(scenario: string): string {
  const r = spawnSync(process.execPath, [child, scenario], {
    encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, METAFFI_TEST_GUEST: goGuest('guest'), METAFFI_TEST_PY: fixture('go', 'py_helpers.py') },
  });
  assert.equal(r.signal, null, `the process died of ${r.signal}:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('go signal handlers coexist with V8 and Node', () => {
  it('SIGSEGV: WebAssembly traps (V8\'s handler) and Go nil dereferences (Go\'s) both work, interleaved', () => {
    const out = run('segv');
    assert.equal(out.match(/^wasm RuntimeError: memory access out of bounds$/gm)?.length, 5, out);
    assert.equal(out.match(/^go panic: runtime error: invalid memory address or nil pointer dereference$/gm)?.length, 5, out);
    assert.match(out, /^add 5$/m);
  });

  it('SIGCHLD: child processes exit with their status', () => {
    const out = run('children');
    assert.match(out, /^codes 0,1,2,3,4$/m);
    assert.match(out, /^async 7 2$/m);
  });

  it('SIGUSR2 reaches the JS handler', () => {
    assert.match(run('usr2'), /^usr2 3 4$/m);
  });

  it('CPython loaded after the Go runtime: calls and callbacks both ways, Go panics, WebAssembly traps', () => {
    const out = run('python');
    assert.match(out, /^go->py 20$/m);
    assert.match(out, /^py->go 42$/m);
    assert.match(out, /^go panic: runtime error: invalid memory address or nil pointer dereference$/m);
    assert.match(out, /^wasm RuntimeError: memory access out of bounds$/m);
  });

  it('goroutines calling a JS callback after the runtime was released do not end the process', () => {
    assert.match(run('release-later'), /^alive 0$/m);
  });

  it('SIGPIPE: a write to a closed pipe is an EPIPE error', () => {
    assert.match(run('pipe'), /^pipe EPIPE 3$/m);
  });
});
