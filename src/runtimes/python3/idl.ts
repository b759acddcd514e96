import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MetaFFIError } from '../../errors.js';
import { pythonHelperDir } from '../../paths.js';
import { findPython } from './discovery.js';
import { validateIdl } from '../../idl/json.js';
import type { IdlDefinition } from '../../idl/schema.js';

/**
 * The IDL of a Python module (.py file, package folder or importable name), read by the
 * same interpreter the python3 runtime embeds: it imports the module and inspects it
 * (runtimes/python3/helpers/metaffi_python_idl.py).
 */
export function extractPythonIdl(source: string): IdlDefinition {
  const python = findPython();
  const script = join(pythonHelperDir, 'metaffi_python_idl.py');
  const spec = existsSync(source) ? resolve(source) : source;
  let out: string;
  try {
    out = execFileSync(python.executable, [script, spec], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const detail = (err.stderr ?? '').trim().split('\n').pop() || err.message;
    throw new MetaFFIError(`--idl: reading the Python module ${source} failed: ${detail}`);
  }
  return validateIdl(JSON.parse(out), source);
}
