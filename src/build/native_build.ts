/**
 * Builds the native parts from source with the system C compiler: the Node-API core addon
 * and the runtime plugins. Used by `npm install` (build_all.ts) and at run time when a
 * plugin for the runtime found on this machine has not been built yet.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { coreAddonPath, filesIn, nativeSourceDir } from '../paths.js';
import { cachedBuild, toolIdentity } from './cached.js';

export function napiIncludeDir(): string {
  try {
    const require = createRequire(import.meta.url);
    const headers = require('node-api-headers') as { include_dir?: string };
    if (headers.include_dir && existsSync(join(headers.include_dir, 'node_api.h'))) return headers.include_dir;
  } catch {
    // fall back to the headers installed with Node.js
  }
  const beside = join(dirname(process.execPath), '..', 'include', 'node');
  if (existsSync(join(beside, 'node_api.h'))) return beside;
  throw new Error('Node-API headers not found: install the node-api-headers package or Node.js headers');
}

export interface CompileOptions {
  sources: string[];
  output: string;
  includeDirs?: string[];
  libs?: string[];
  /** Extra inputs whose change forces a rebuild (headers). */
  depends?: string[];
  /** What is built, for the progress line ("the python3 plugin"). */
  what?: string;
}

/** Compile C sources into a shared object, unless it is up to date (same inputs, same
 * compiler and flags). METAFFI_WERROR=1 turns warnings into errors (CI sets it). */
export function compileShared(opts: CompileOptions): string {
  const cc = process.env.CC ?? 'cc';
  const flags = [
    // -flto: a library split over several files still inlines across them, as one file would
    '-std=gnu11', '-O2', '-g', '-flto=auto', '-fPIC', '-shared', '-fvisibility=hidden',
    '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers',
    ...(process.env.METAFFI_WERROR === '1' ? ['-Werror'] : []),
    '-I', nativeSourceDir,
    ...(opts.includeDirs ?? []).flatMap((d) => ['-I', d]),
    ...opts.sources,
  ];
  const libs = ['-lpthread', '-ldl', '-lm', ...(opts.libs ?? [])];
  return cachedBuild({
    what: opts.what ?? opts.output,
    output: opts.output,
    inputs: [...opts.sources, ...(opts.depends ?? []), join(nativeSourceDir, 'metaffi.h'), join(nativeSourceDir, 'metaffi_types.h')],
    recipe: [toolIdentity(cc), ...flags, '-o', '<output>', ...libs],
    build(tmp) {
      try {
        execFileSync(cc, [...flags, '-o', tmp, ...libs], { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        const err = e as { stderr?: Buffer; message: string; code?: string };
        if (err.code === 'ENOENT') throw new Error(`no C compiler: '${cc}' was not found (set CC or install gcc)`);
        throw new Error(`compiling ${opts.sources.join(' ')} failed:\n${err.stderr?.toString() ?? err.message}`);
      }
    },
  });
}

/** The Node-API addon: the files of native/core/, built as one shared object. */
export function buildCore(): string {
  const dir = join(nativeSourceDir, 'core');
  return compileShared({
    what: 'the native core',
    sources: filesIn(dir, '.c'),
    output: coreAddonPath(),
    includeDirs: [napiIncludeDir()],
    depends: filesIn(dir, '.h'),
  });
}
