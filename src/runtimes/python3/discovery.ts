/** Finding the Python to embed: the one findPython. */
import { execFileSync } from 'node:child_process';
import { MetaFFIError } from '../../errors.js';

/** What the Python we embed tells about itself. */
export interface PythonInfo {
  executable: string;
  version: string;
  soabi: string;
  shared: boolean;
  libpython: string | null;
  include: string;
}

const PROBE = `
import json, os, sys, sysconfig
v = sysconfig.get_config_var
libdir = v("LIBDIR") or ""
names = [n for n in (v("LDLIBRARY"), v("INSTSONAME")) if n and ".so" in n]
cands = [os.path.join(d, n) for n in names for d in (libdir, os.path.join(sys.base_prefix, "lib"))]
lib = next((c for c in cands if os.path.exists(c)), None)
print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
  "soabi": v("SOABI") or ("py%d%d" % sys.version_info[:2]), "shared": bool(v("Py_ENABLE_SHARED")),
  "libpython": lib, "include": sysconfig.get_paths()["include"]}))
`;

let cached: PythonInfo | undefined;

/** Find the Python to embed: METAFFI_PYTHON, else python3 on PATH. */
export function findPython(): PythonInfo {
  if (cached) return cached;
  const fromEnv = process.env.METAFFI_PYTHON;
  const exe = fromEnv && fromEnv.trim() !== '' ? fromEnv : 'python3';
  let out: string;
  try {
    out = execFileSync(exe, ['-c', PROBE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    const searched = fromEnv ? `METAFFI_PYTHON=${fromEnv}` : `python3 on PATH (${process.env.PATH ?? ''})`;
    if (err.code === 'ENOENT') {
      throw new MetaFFIError(`python3 runtime not found: searched ${searched}. ` +
        'Install CPython 3.8 or newer with a shared libpython, or set METAFFI_PYTHON to its executable.');
    }
    throw new MetaFFIError(`python3 runtime: running ${exe} failed: ${err.stderr || err.message}`);
  }
  const info = JSON.parse(out) as PythonInfo;
  if (!info.shared || !info.libpython) {
    throw new MetaFFIError(`python3 runtime: ${info.executable} (Python ${info.version}) has no shared libpython ` +
      '(it was built without --enable-shared), so it cannot be loaded into this process. ' +
      'Use a Python built with --enable-shared (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install <version>; ' +
      'Debian/Ubuntu: the libpython3.x package) and point METAFFI_PYTHON to it.');
  }
  cached = info;
  return info;
}

