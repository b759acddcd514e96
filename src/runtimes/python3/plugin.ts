import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileShared } from '../../build/native_build.js';
import { pathValue } from '../../entity_path.js';
import { MetaFFIError } from '../../errors.js';
import type { PathItem } from '../../native.js';
import { buildDir, filesIn, python3HostBindingDir, python3PluginDir, pythonHelperDir } from '../../paths.js';
import type { RuntimeAdapter, RuntimeLaunch } from '../adapter.js';
import { findPython, type PythonInfo } from './discovery.js';

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
      what: 'the python3 plugin',
      // the plugin, and the Python host binding, which converts with the plugin's functions
      sources: [...filesIn(python3PluginDir, '.c'), ...filesIn(python3HostBindingDir, '.c')],
      depends: filesIn(python3PluginDir, '.h'),
      output,
      includeDirs: [info.include, python3PluginDir],
      linkXllr: true,
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
  launch(host?: string): RuntimeLaunch {
    const info = findPython();
    const config = [`program=${info.executable}`, `helper=${join(pythonHelperDir, 'metaffi_python_helper.py')}`];
    // CPython as the host: the plugin attaches to the running interpreter instead of starting one
    if (host === 'python3') config.push('host=1');
    return { libraries: [info.libpython!], plugin: python3Plugin(info), config: config.join('\n') };
  },
  entityName(items: PathItem[]): string {
    return pathValue(items, 'callable') ?? pathValue(items, 'attribute') ?? '?';
  },
  modulePath(path: string): string {
    return path;
  },
};
