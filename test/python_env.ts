/**
 * The Python tools the tests of generated Python code need (mypy, pytest), in a virtual
 * environment of their own at .build/pyenv: made once with `python3 -m venv` and pip, then
 * reused while its stamp file names the same requirements. Without network access to PyPI
 * the first use fails, saying so: tests that need these tools fail rather than skip.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './support/fixtures.js';

const run = promisify(execFile);

/** What the environment holds; a change here remakes it. */
const REQUIREMENTS = ['mypy==2.4.1', 'pytest==9.2.0'];

const venv = join(repoRoot, '.build', 'pyenv');
const stamp = join(venv, 'metaffi-stamp.txt');

let made: Promise<{ python: string }> | undefined;

/** The Python of the tools' virtual environment (created on first use). */
export async function pythonTools(): Promise<{ python: string }> {
  made ??= makeEnv();
  return await made;
}

function detail(e: unknown): string {
  const x = e as { stderr?: string; stdout?: string; message?: string };
  const text = `${x.stderr ?? ''}${x.stdout ?? ''}`.trim() || (x.message ?? String(e));
  return text.split('\n').slice(-15).join('\n');
}

async function makeEnv(): Promise<{ python: string }> {
  const python = join(venv, 'bin', 'python');
  const wanted = REQUIREMENTS.join('\n') + '\n';
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return { python };
  rmSync(venv, { recursive: true, force: true });
  const base = process.env.METAFFI_PYTHON || 'python3';
  try {
    await run(base, ['-m', 'venv', venv], { maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    throw new Error(`cannot create the test tools' Python environment at ${venv} with '${base} -m venv' ` +
      `(Debian/Ubuntu: install python3-venv):\n${detail(e)}`);
  }
  try {
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', ...REQUIREMENTS],
      { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60 * 1000 });
  } catch (e) {
    rmSync(venv, { recursive: true, force: true });
    throw new Error(`cannot install ${REQUIREMENTS.join(' ')} into ${venv}: pip needs network access to PyPI ` +
      `(or a configured index: PIP_INDEX_URL) the first time; then the environment is reused.\n${detail(e)}`);
  }
  writeFileSync(stamp, wanted);
  return { python };
}
