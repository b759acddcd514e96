/** Shared steps of the generated-stubs tests: run the metaffi command, type-check, run. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.js';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The `metaffi` command of this checkout (dist/cli/main.js), run in `cwd`. */
export function metaffi(args: string[], cwd: string = repoRoot, env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), ...args], {
    cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like metaffi(), but the command must succeed. */
export function metaffiOk(args: string[], cwd: string = repoRoot): Run {
  const r = metaffi(args, cwd);
  assert.equal(r.status, 0, `metaffi ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r;
}

/** A fresh folder under .build/ (inside the package, so `import 'metaffi'` resolves to it). */
export function workDir(name: string): string {
  const dir = join(repoRoot, '.build', 'stubs-work', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Type-check (and compile to out/) every .ts file of `dir` with `tsc --strict`, plus the
 * stricter checks projects often turn on, so the stubs fit into such projects too. */
export function typeCheck(dir: string): void {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2023', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext',
      strict: true, noUnusedLocals: true, noUnusedParameters: true, noImplicitReturns: true,
      noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noImplicitOverride: true,
      noPropertyAccessFromIndexSignature: true, verbatimModuleSyntax: true,
      types: ['node'], outDir: 'out', rootDir: '.', skipLibCheck: false,
    },
    include: ['*.ts'],
  }, null, 2));
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc --strict failed:\n${r.stdout}${r.stderr}`);
}

/** Run a compiled program of `dir` (out/<name>.js) with node. */
export function runProgram(dir: string, name: string, args: string[] = []): Run {
  const r = spawnSync(process.execPath, [join(dir, 'out', `${name}.js`), ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one file of `dir` whose name ends with `suffix`. */
export function findOne(dir: string, suffix: string): string {
  const found = readdirSync(dir).filter((n) => n.endsWith(suffix));
  assert.equal(found.length, 1, `expected one *${suffix} in ${dir}, found ${found.join(', ') || 'none'}`);
  return join(dir, found[0]!);
}
