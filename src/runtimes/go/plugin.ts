import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileShared } from '../../build/native_build.js';
import { pathValue } from '../../entity_path.js';
import { MetaFFIError } from '../../errors.js';
import type { PathItem } from '../../native.js';
import { buildDir } from '../../paths.js';
import { goHome } from './generator.js';
import type { RuntimeAdapter, RuntimeLaunch } from '../adapter.js';

/** The go runtime plugin (runtimes/go/plugin/go.c), built now if missing. It needs no Go toolchain:
 * the Go runtime comes inside each guest library. */
export function goPlugin(): string {
  try {
    return compileShared({ what: 'the go plugin', sources: [join(goHome, 'plugin', 'go.c')], output: join(buildDir(), 'plugins', 'go', 'metaffi_go.so') });
  } catch (e) {
    throw new MetaFFIError(`go runtime: building the plugin failed: ${(e as Error).message}`);
  }
}

/** A Go guest library path: as given, or with `.so` added. */
export function goGuestPath(path: string): string {
  if (path.includes('\0')) {
    throw new TypeError(`go runtime: the module path ${JSON.stringify(path)} contains a NUL character; a file path cannot hold one`);
  }
  const full = resolve(path);
  for (const candidate of [full, `${full}.so`]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  const hint = path.endsWith('.go') || (existsSync(full) && statSync(full).isDirectory())
    ? `; ${path} is Go source: build the guest library first with \`metaffi -c --idl ${path} -g go\``
    : '; build one with `metaffi -c --idl <file.go> -g go` (it writes <name>_MetaFFIGuest.so)';
  throw new MetaFFIError(`go runtime: no Go guest library at ${full} (also tried ${full}.so)${hint}`);
}

export const go: RuntimeAdapter = {
  id: 3,
  name: 'go',
  aliases: ['golang'],
  entityPath: {
    runtime: 'go',
    keys: ['callable', 'global', 'field'],
    tags: ['instance_required', 'getter', 'setter'],
    oneOf: [['callable', 'global', 'field']],
  },
  launch(): RuntimeLaunch {
    return { libraries: [], plugin: goPlugin(), config: '' };
  },
  entityName(items: PathItem[]): string {
    // Names reach the Go guest as C strings: a NUL would cut them short.
    for (const [key, value] of items) {
      if (key.includes('\0') || (value ?? '').includes('\0')) {
        throw new TypeError(`go runtime: the entity path item ${JSON.stringify(value === null ? key : `${key}=${value}`)} contains a NUL character; Go names cannot hold one`);
      }
    }
    return pathValue(items, 'callable') ?? pathValue(items, 'global') ?? pathValue(items, 'field') ?? '?';
  },
  modulePath(path: string): string {
    return goGuestPath(path);
  },
};
