/**
 * The Go guest compiler: `metaffi -c --idl <file.go or package folder> -g go`.
 *
 * The Go side lives in the Go toolchain: runtimes/go/generator reads the package with go/parser and
 * go/types (imports, third-party modules included, come from `go list -export`) and writes
 * a build module holding the generated entity wrappers (metaffi_entities.go), the guest
 * runtime (runtimes/go/guest/*.go) and metaffi.h; `go build -buildmode=c-shared` then
 * makes <name>_MetaFFIGuest.so.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from '../idl/schema.js';
import { xllrSourceDir, packageRoot } from '../paths.js';
import { findGo, goHome, newest, runGoHelper } from '../runtimes/go/generator.js';

/**
 * Build the Go guest library of `source` (a .go file, read alone, or a package folder)
 * into outDir; returns the path written.
 */
export function compileGoGuest(source: string, idl: IdlDefinition, outDir: string): string[] {
  const src = resolve(source);
  const work = mkdtempSync(join(tmpdir(), 'metaffi-go-'));
  try {
    const name = runGoHelper(['prepare', src, work, join(goHome, 'guest'), join(xllrSourceDir, 'metaffi.h')],
      `cannot build a Go guest from ${source}`).trim() || idl.metaffi_guest_lib.replace(/_MetaFFIGuest$/, '');
    const lib = `${name}_MetaFFIGuest.so`;
    const flags = [process.env.GOFLAGS ?? '', '-mod=mod'].filter((f) => f !== '').join(' ');
    const go = findGo();
    try {
      execFileSync(go, ['build', '-buildmode=c-shared', '-o', join(work, lib), '.'], {
        cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, CGO_ENABLED: '1', GOFLAGS: flags },
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      // Point the messages at the user's files, not at the copies in the build folder.
      const text = (err.stderr || err.message).split(work + '/').join(existsSync(src) && statSync(src).isDirectory() ? src + '/' : join(src, '..') + '/');
      throw new MetaFFIError(`the Go compiler failed to build the guest for ${source}:\n${text.trim()}`);
    }
    mkdirSync(outDir, { recursive: true });
    const dest = join(outDir, lib);
    // Replace by rename: a process that has the old library loaded keeps its copy intact.
    const tmp = `${dest}.${process.pid}.tmp`;
    copyFileSync(join(work, lib), tmp);
    renameSync(tmp, dest);
    return [dest];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm install` step: the guest of examples/go/hello.go for the demo and the README,
 * unless it is already newer than its sources. */
export function buildGoExample(): string {
  const src = join(packageRoot, 'examples', 'go', 'hello.go');
  if (!existsSync(src)) throw new Error('examples/go/hello.go is not part of this installation');
  const out = join(packageRoot, 'examples', 'go', 'hello_MetaFFIGuest.so');
  const inputs = Math.max(statSync(src).mtimeMs, newest(goHome), statSync(join(xllrSourceDir, 'metaffi.h')).mtimeMs, statSync(join(xllrSourceDir, 'metaffi_types.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= inputs) return out;
  return compileGoGuest(src, { metaffi_guest_lib: 'hello_MetaFFIGuest' } as IdlDefinition, join(packageRoot, 'examples', 'go'))[0]!;
}
