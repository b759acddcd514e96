/**
 * Builds the native parts from source with the system C compiler: XLLR (the host-agnostic
 * core), the Node-API addon (the Node.js host binding) and the runtime plugins. Used by `npm install` (build_all.ts) and at run time when a
 * plugin for the runtime found on this machine has not been built yet.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { coreAddonPath, filesIn, hostHome, xllrLibraryPath, xllrSourceDir } from '../paths.js';
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
  /** Link against XLLR (libmetaffi_xllr.so, found beside the output or in build/). */
  linkXllr?: boolean;
  /** The library's soname: what libraries linked against it record, to be found on their run path. */
  soname?: string;
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
    ...sanitizerFlags(),
    '-I', xllrSourceDir,
    ...(opts.includeDirs ?? []).flatMap((d) => ['-I', d]),
    ...opts.sources,
  ];
  const xllr = opts.linkXllr ? [buildXllr()] : [];
  const libs = [
    // the run path: beside the output ($ORIGIN, so the folder can move), or where XLLR was built
    ...xllr.flatMap((lib) => [lib, `-Wl,-rpath,${dirname(lib) === dirname(opts.output) ? '$ORIGIN' : dirname(lib)}`]),
    ...(opts.soname ? [`-Wl,-soname,${opts.soname}`] : []),
    '-lpthread', '-ldl', '-lm', ...(opts.libs ?? []),
  ];
  return cachedBuild({
    what: opts.what ?? opts.output,
    output: opts.output,
    inputs: [...opts.sources, ...(opts.depends ?? []), ...xllr, ...filesIn(xllrSourceDir, '.h')],
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

/** METAFFI_SANITIZE=address builds every native part with AddressSanitizer (and
 * UndefinedBehaviorSanitizer, plus its float-cast-overflow check, which `undefined` leaves out
 * in GCC: a double out of an integer's range converted to it): see CONTRIBUTING.md for running
 * the tests that way. */
export function sanitizerFlags(): string[] {
  const kind = process.env.METAFFI_SANITIZE;
  if (!kind) return [];
  if (kind !== 'address') throw new Error(`METAFFI_SANITIZE=${kind}: the only sanitizer supported is 'address'`);
  return ['-fsanitize=address,undefined,float-cast-overflow', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined,float-cast-overflow'];
}

/** XLLR, the host-agnostic core: the files of xllr/, as libmetaffi_xllr.so. */
export function buildXllr(): string {
  return compileShared({
    what: 'XLLR, the host-agnostic core',
    sources: filesIn(xllrSourceDir, '.c'),
    output: xllrLibraryPath(),
    depends: filesIn(xllrSourceDir, '.h'),
    soname: 'libmetaffi_xllr.so',
  });
}

/** The Node-API addon, the Node.js host binding: the files of hosts/node/, linked to XLLR. */
export function buildCore(): string {
  const dir = hostHome('node');
  return compileShared({
    what: 'the Node.js host binding',
    sources: filesIn(dir, '.c'),
    output: coreAddonPath(),
    includeDirs: [napiIncludeDir()],
    depends: filesIn(dir, '.h'),
    linkXllr: true,
  });
}
