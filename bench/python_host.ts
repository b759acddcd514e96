/**
 * The Python host's part of the benchmark: bench/python_host/bench.py in a virtual environment
 * of its own (the metaffi package and JPype, installed with pip), once for metaffi and ctypes,
 * once (in another process, with its own JVM) for JPype.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SetupInfo } from './common.js';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');
const repoRoot = join(benchDir, '..');

export type PythonHostResults = Record<string, number | string>;

function venvPython(log: (l: string) => void): string {
  const venv = join(benchDir, 'build', 'pyenv');
  const python = join(venv, 'bin', 'python');
  const stamp = join(venv, 'metaffi-bench-stamp');
  const wanted = 'JPype1 metaffi-api\n';
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    log('python host: making bench/build/pyenv (pip install JPype1 and hosts/python3)');
    execFileSync(process.env.METAFFI_PYTHON || 'python3', ['-m', 'venv', venv]);
    execFileSync(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', 'JPype1'], { stdio: 'inherit' });
    writeFileSync(stamp, wanted);
  }
  execFileSync(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', join(repoRoot, 'hosts', 'python3')], { stdio: 'inherit' });
  return python;
}

/** ns per call of each cell, or why it is unavailable. */
export function runPythonHost(setup: SetupInfo, quick: boolean, log: (l: string) => void): PythonHostResults {
  if (!setup.javaClasses || !setup.goGuestDir || !setup.goCShared) {
    return { error: 'the Java classes, the Go guest and the c-shared Go library are all needed' };
  }
  const python = venvPython(log);
  const script = join(benchDir, 'python_host', 'bench.py');
  const args = [setup.javaClasses, join(setup.goGuestDir, 'bench_MetaFFIGuest'), setup.goCShared, quick ? '0.1' : '0.4'];
  const results: PythonHostResults = {};
  for (const mode of ['metaffi', 'jpype']) {
    log(`python host: ${mode}`);
    try {
      Object.assign(results, JSON.parse(execFileSync(python, [script, mode, ...args], { encoding: 'utf8' })) as PythonHostResults);
    } catch (e) {
      results[`${mode} error`] = (e as Error).message.split('\n')[0] ?? 'failed';
    }
  }
  return results;
}

/** The table: per runtime and scenario, metaffi beside its peer. */
export function pythonHostTable(r: PythonHostResults): string {
  const fmt = (v: number | string | undefined): string => (typeof v === 'number' ? `${v.toFixed(0)} ns` : v === undefined ? '-' : 'n/a');
  const rows = ['| Python host | void | int64 | string (40 chars) |', '|---|---:|---:|---:|'];
  for (const [label, key] of [['metaffi -> openjdk', 'metaffi openjdk'], ['JPype -> Java', 'jpype openjdk'],
    ['metaffi -> go', 'metaffi go'], ['ctypes -> cgo export', 'ctypes go']] as const) {
    rows.push(`| ${label} | ${['void', 'int64', 'string'].map((s) => fmt(r[`${key} ${s}`])).join(' | ')} |`);
  }
  return rows.join('\n');
}
