import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture, repoRoot } from '../support/fixtures.js';

/** Run a small ESM program in a fresh Node process with the given environment. */
function runNode(code: string, env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PRINT_VERSION = `
import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
const sys = new MetaFFIRuntime('python3').loadModule('sys');
const version = sys.loadEntity('attribute=version_info,getter', null, [T.metaffi_any_type])();
const prefix = sys.loadEntity('attribute=prefix,getter', null, [T.metaffi_string8_type])();
console.log(JSON.stringify({ version: version.slice(0, 2).join('.'), prefix }));
`;

describe('python3 discovery', () => {
  it('METAFFI_PYTHON selects another Python installation', () => {
    const candidates = ['/root/.pyenv/versions/3.12.1/bin/python3', '/root/.pyenv/versions/3.13.0/bin/python3',
      '/usr/bin/python3.11'].filter((p) => existsSync(p));
    assert.ok(candidates.length > 0, 'this test needs a second Python (pyenv 3.12/3.13 or Debian python3.11) on the machine');
    for (const python of candidates) {
      const expected = execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
      const r = runNode(PRINT_VERSION, { METAFFI_PYTHON: python });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).version, expected, python);
    }
  });

  it('a virtual environment given by METAFFI_PYTHON brings its site-packages', () => {
    const venv = join(repoRoot, '.build', 'test-venv');
    rmSync(venv, { recursive: true, force: true });
    execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
    const site = execFileSync(join(venv, 'bin', 'python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, 'only_in_venv.py'), 'def where():\n    import sys\n    return sys.prefix\n');
    const r = runNode(`
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('python3').loadModule('only_in_venv');
      console.log(m.loadEntity('callable=where', null, [T.metaffi_string8_type])());
    `, { METAFFI_PYTHON: join(venv, 'bin', 'python') });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), venv);
  });

  it('a missing Python is a clear error naming what was searched', () => {
    const r = runNode(PRINT_VERSION, { METAFFI_PYTHON: '/nowhere/bin/python3' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /MetaFFIError: python3 runtime not found: searched METAFFI_PYTHON=\/nowhere\/bin\/python3/);
    const r2 = runNode(PRINT_VERSION, { METAFFI_PYTHON: undefined, PATH: '/nonexistent-dir' });
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /python3 runtime not found: searched python3 on PATH \(\/nonexistent-dir\)/);
  });

  it('a Python without a shared libpython is a clear error saying what to install', () => {
    const r = runNode(PRINT_VERSION, { METAFFI_PYTHON: fixture('python', 'static_python', 'python3') });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /has no shared libpython.*--enable-shared.*METAFFI_PYTHON/s);
  });

  it('a Python that is not Python is a clear error', () => {
    const r = runNode(PRINT_VERSION, { METAFFI_PYTHON: '/bin/false' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /python3 runtime: running \/bin\/false failed/);
  });
});
