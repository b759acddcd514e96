import { existsSync, mkdirSync, accessSync, constants, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the metaffi package (holds package.json, xllr/, hosts/, runtimes/, build/). */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'xllr'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('metaffi: cannot find the package folder');
    dir = parent;
  }
  return dir;
})();

/** XLLR, the host-agnostic core: metaffi.h, metaffi_types.h, xllr.h and its C files. */
export const xllrSourceDir = join(packageRoot, 'xllr');
/** The home of a host binding's native code: hosts/<name>/ (node: the Node-API addon). */
export function hostHome(name: string): string {
  return join(packageRoot, 'hosts', name);
}
/** The home of a runtime's non-TypeScript code: runtimes/<name>/ (plugin/, helpers/, bridge/, idl/). */
export function runtimeHome(name: string): string {
  return join(packageRoot, 'runtimes', name);
}
export const pythonHelperDir = join(runtimeHome('python3'), 'helpers');
export const python3PluginDir = join(runtimeHome('python3'), 'plugin');
/** The Python host binding's C files, built into the python3 plugin (it reuses its conversions). */
export const python3HostBindingDir = join(hostHome('python3'), 'binding');
export const openjdkPluginDir = join(runtimeHome('openjdk'), 'plugin');
export const openjdkBridgeDir = join(runtimeHome('openjdk'), 'bridge');
/** The files of a folder whose names end with one of `endings` (sorted, full paths). */
export function filesIn(dir: string, ...endings: string[]): string[] {
  return readdirSync(dir).filter((n) => endings.some((e) => n.endsWith(e))).sort().map((n) => join(dir, n));
}
export const openjdkIdlSource = join(runtimeHome('openjdk'), 'idl', 'MetaFFIJavaIdl.java');

/** Where built native artifacts live: build/ in the package, or a user cache when the
 * package folder is read-only. */
export function buildDir(): string {
  const inPackage = join(packageRoot, 'build');
  try {
    mkdirSync(inPackage, { recursive: true });
    accessSync(inPackage, constants.W_OK);
    return inPackage;
  } catch {
    const cache = join(process.env.XDG_CACHE_HOME ?? join(tmpdir(), `metaffi-${process.getuid?.() ?? 'user'}`), 'metaffi-build');
    mkdirSync(cache, { recursive: true });
    return cache;
  }
}

export const coreAddonPath = (): string => join(packageRoot, 'build', 'metaffi.node');
/** XLLR's shared library, beside the addon (which finds it through its run path, $ORIGIN). */
export const xllrLibraryPath = (): string => join(packageRoot, 'build', 'libmetaffi_xllr.so');
