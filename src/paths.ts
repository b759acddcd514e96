import { existsSync, mkdirSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the metaffi package (holds package.json, native/, python/, build/). */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'native'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('metaffi: cannot find the package folder');
    dir = parent;
  }
  return dir;
})();

export const nativeSourceDir = join(packageRoot, 'native');
export const pythonHelperDir = join(packageRoot, 'python');

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
