/**
 * The Python host (hosts/python3): the package is installed with pip into a fresh virtual
 * environment, as the README says, and its pytest suite runs against the real runtimes; the
 * seed's example (Go called from Python through generated stubs) runs verbatim.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pythonTools } from '../python_env.js';
import { repoRoot } from '../support/fixtures.js';

const run = promisify(execFile);
const cli = join(repoRoot, 'dist', 'cli', 'main.js');

async function hostPython(): Promise<string> {
  const { python } = await pythonTools();
  await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', join(repoRoot, 'hosts', 'python3'), 'numpy'],
    { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60 * 1000 });
  return python;
}

function output(e: unknown): string {
  const x = e as { stdout?: string; stderr?: string; message?: string };
  return `${x.stdout ?? ''}\n${x.stderr ?? ''}`.trim() || (x.message ?? String(e));
}

describe('python host', () => {
  it('pip installs the metaffi package and its pytest suite passes', async () => {
    const python = await hostPython();
    try {
      const { stdout } = await run(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', join(repoRoot, 'hosts', 'python3', 'tests')],
        { cwd: tmpdir(), maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60 * 1000 });
      assert.match(stdout, / passed/);
      assert.doesNotMatch(stdout, /skipped|xfail|error/i);
    } catch (e) {
      assert.fail(`pytest failed:\n${output(e)}`);
    }
  });

  it('the package passes mypy --strict (its whole public API is typed)', async () => {
    const python = await hostPython();
    try {
      await run(python, ['-m', 'mypy', '--strict', '--no-incremental', join(repoRoot, 'hosts', 'python3', 'metaffi')],
        { cwd: tmpdir(), maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      assert.fail(`mypy --strict failed:\n${output(e)}`);
    }
  });

  it("runs the seed's example: metaffi -c --idl hello.go -g go -h python3, then the stubs and the dynamic API", async () => {
    const python = await hostPython();
    const dir = mkdtempSync(join(tmpdir(), 'metaffi-seed-'));
    writeFileSync(join(dir, 'hello.go'), 'package main\n\nfunc SayHello(name string) string {\n\treturn "Hello, " + name + "!"\n}\n');
    await run(process.execPath, [cli, '-c', '--idl', 'hello.go', '-g', 'go', '-h', 'python3'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(join(dir, 'main.py'), [
      'import hello_MetaFFIHost as hello',
      'hello.bind_module_to_code("hello_MetaFFIGuest", "go")',
      'print(hello.SayHello("Python"))',
      'from metaffi import MetaFFIRuntime, MetaFFITypes',
      'from metaffi.metaffi_types import new_metaffi_type_info',
      'runtime = MetaFFIRuntime("go")',
      'runtime.load_runtime_plugin()',
      'module = runtime.load_module("hello_MetaFFIGuest")',
      'say_hello = module.load_entity("callable=SayHello",',
      '    [new_metaffi_type_info(MetaFFITypes.metaffi_string8_type)],',
      '    [new_metaffi_type_info(MetaFFITypes.metaffi_string8_type)])',
      'print(say_hello("dynamic"))',
      'runtime.release_runtime_plugin()',
      '',
    ].join('\n'));
    try {
      const { stdout } = await run(python, ['main.py'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
      assert.equal(stdout, 'Hello, Python!\nHello, dynamic!\n');
    } catch (e) {
      assert.fail(`the seed's example failed:\n${output(e)}`);
    }
  });
});
