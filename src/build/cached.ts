/**
 * The one way this package builds a derived file (a native plugin, compiled Java classes, a Go
 * guest): skip the build when the output is newer than every input and was made by the same
 * recipe; otherwise build into a temporary path beside the output and rename it into place, so
 * an interrupted or concurrent build never leaves a half-written output behind.
 *
 * The recipe is everything besides the inputs that decides the result: the tool (its resolved
 * path, size and modification time, so an upgraded compiler counts) and its flags. It is kept in
 * a `<output>.recipe` file beside the output.
 */
import { threadId } from 'node:worker_threads';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

export interface CachedBuild {
  /** What is built, for the progress line: "the python3 plugin". */
  what: string;
  /** The file or folder produced. */
  output: string;
  /** Files or folders (walked) whose change forces a rebuild. Missing ones are ignored. */
  inputs: string[];
  /** Tool identities (see toolIdentity) and flags: a change of any forces a rebuild. */
  recipe: string[];
  /** Writes the output to `tmp` (a file or a folder, as the output is). */
  build(tmp: string): void;
  /** Say nothing while building (the caller reports progress itself). METAFFI_BUILD_QUIET=1
   * silences every build (npm install's build step prints its own lines). */
  quiet?: boolean;
}

function newestMtime(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function upToDate(spec: CachedBuild, recipeFile: string, recipe: string): boolean {
  if (!existsSync(spec.output) || !existsSync(recipeFile)) return false;
  if (readFileSync(recipeFile, 'utf8') !== recipe) return false;
  const built = statSync(spec.output).mtimeMs;
  return spec.inputs.every((input) => newestMtime(input) <= built);
}

/** Builds `spec.output` unless it is up to date; returns its path. */
export function cachedBuild(spec: CachedBuild): string {
  const recipeFile = `${spec.output}.recipe`;
  const recipe = spec.recipe.join('\n');
  if (upToDate(spec, recipeFile, recipe)) return spec.output;
  mkdirSync(dirname(spec.output), { recursive: true });
  if (!spec.quiet && process.env.METAFFI_BUILD_QUIET !== '1') process.stderr.write(`metaffi: building ${spec.what}\n`);
  // one temporary name per thread (Workers of one process may build at the same time)
  const tmp = `${spec.output}.${process.pid}-${threadId}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    spec.build(tmp);
    // a file is replaced in one step (a process that loads it meanwhile sees the old or the new
    // one, never none); a folder must go first
    if (existsSync(spec.output) && statSync(spec.output).isDirectory()) rmSync(spec.output, { recursive: true, force: true });
    renameSync(tmp, spec.output);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileSync(recipeFile, recipe);
  return spec.output;
}

const identities = new Map<string, string>();

/**
 * A tool's identity for a recipe: its resolved path, size and modification time. Cheap (no
 * process is started), and it changes when the tool is upgraded or another one is chosen.
 */
export function toolIdentity(command: string): string {
  const known = identities.get(command);
  if (known !== undefined) return known;
  let resolved = command;
  if (!isAbsolute(command) && !command.includes('/')) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      const candidate = join(dir, command);
      try {
        accessSync(candidate, constants.X_OK);
        resolved = candidate;
        break;
      } catch {
        // not in this folder
      }
    }
  }
  let identity = `${command} (not found)`;
  try {
    const real = realpathSync(resolved);
    const st = statSync(real);
    identity = `${command} = ${real} ${st.size} ${Math.trunc(st.mtimeMs)}`;
  } catch {
    // a missing tool fails in the build itself, with the build's own message
  }
  identities.set(command, identity);
  return identity;
}
