import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileShared } from '../build/native_build.js';
import { pathValue } from '../entity_path.js';
import { MetaFFIError } from '../errors.js';
import type { NativeCore, PathItem } from '../native.js';
import { buildDir, filesIn, python3PluginDir, pythonHelperDir } from '../paths.js';
import type { RuntimeAdapter } from './adapter.js';

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

/** The plugin built against this Python's headers (built now if missing). */
export function python3Plugin(info: PythonInfo): string {
  const output = join(buildDir(), 'plugins', 'python3', info.soabi, 'metaffi_python3.so');
  if (!existsSync(join(info.include, 'Python.h'))) {
    if (existsSync(output)) return output;
    throw new MetaFFIError(`python3 runtime: the plugin for Python ${info.version} must be built, but Python.h is ` +
      `missing in ${info.include}; install the Python development headers (e.g. python3-dev).`);
  }
  try {
    return compileShared({
      sources: filesIn(python3PluginDir, '.c'),
      depends: filesIn(python3PluginDir, '.h'),
      output,
      includeDirs: [info.include],
    });
  } catch (e) {
    throw new MetaFFIError(`python3 runtime: building the plugin for Python ${info.version} failed: ${(e as Error).message}`);
  }
}

export const python3: RuntimeAdapter = {
  id: 1,
  name: 'python3',
  aliases: ['python', 'python3', 'py'],
  entityPath: {
    runtime: 'python3',
    keys: ['callable', 'attribute'],
    tags: ['instance_required', 'getter', 'setter', 'varargs', 'named_args'],
    oneOf: [['callable', 'attribute']],
  },
  start(core: NativeCore): void {
    const info = findPython();
    const plugin = python3Plugin(info);
    core.loadLibrary(info.libpython!);
    core.loadPlugin(this.id, plugin,
      `program=${info.executable}\nhelper=${join(pythonHelperDir, 'metaffi_python_helper.py')}`);
  },
  entityName(items: PathItem[]): string {
    return pathValue(items, 'callable') ?? pathValue(items, 'attribute') ?? '?';
  },
  modulePath(path: string): string {
    return path;
  },
};
