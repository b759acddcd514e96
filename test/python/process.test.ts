import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { fixture, repoRoot } from '../support/fixtures.js';

function runNode(code: string, env: Record<string, string | undefined> = {}) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8',
  });
}

describe('python3 in the Node.js process', () => {
  it("Python's buffered output is flushed when the process exits, even through process.exit()", () => {
    const r = runNode(`
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const builtins = new MetaFFIRuntime('python3').loadModule('builtins');
      builtins.loadEntity('callable=print', [T.metaffi_string8_type], null)('printed by python');
      process.exit(0);
    `, { PYTHONUNBUFFERED: undefined });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'printed by python');
  });

  it('an uncaught Python exception ends the process like any JS error, with the traceback', () => {
    const r = runNode(`
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const guest = new MetaFFIRuntime('python3').loadModule(${JSON.stringify(fixture('python', 'guest.py'))});
      guest.loadEntity('callable=raise_value_error', [T.metaffi_string8_type], null)('not handled');
    `);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /MetaFFIError: ValueError: not handled/);
    assert.match(r.stderr, /raise_value_error/);
  });

  it('a worker thread loads and calls Python too (test/core/workers.test.ts has the rest)', async () => {
    const worker = new Worker(`
      import('metaffi').then(({ MetaFFIRuntime, MetaFFITypes: T }) => {
        try {
          const sqrt = new MetaFFIRuntime('python3').loadModule('math').loadEntity('callable=sqrt', [T.metaffi_float64_type], [T.metaffi_float64_type]);
          require('worker_threads').parentPort.postMessage('sqrt ' + sqrt(16));
        } catch (e) { require('worker_threads').parentPort.postMessage(e.message); }
      });
    `, { eval: true });
    const message = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(message, 'sqrt 4');
  });

  it('the JS event loop, timers and promises keep working around Python calls', async () => {
    const { MetaFFIRuntime, MetaFFITypes: T } = await import('metaffi');
    const math = new MetaFFIRuntime('python3').loadModule('math');
    const sqrt = math.loadEntity('callable=sqrt', [T.metaffi_float64_type], [T.metaffi_float64_type]);
    const results = await Promise.all([1, 4, 9].map((v) => new Promise<number>((res) => setTimeout(() => res(sqrt(v)), 5))));
    assert.deepEqual(results, [1, 2, 3]);
  });
});
