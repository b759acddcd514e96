import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from './schema.js';

export type SourceKind = 'python' | 'java' | 'go' | 'json';

/** What kind of source a path is: by extension, or by the files a folder holds. */
export function sourceKind(source: string): SourceKind {
  const path = resolve(source);
  if (!existsSync(path)) throw new MetaFFIError(`--idl: ${source} does not exist`);
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path);
    if (names.some((n) => n.endsWith('.go'))) return 'go';
    if (names.some((n) => n.endsWith('.py'))) return 'python';
    if (names.some((n) => n.endsWith('.class') || n.endsWith('.jar')) || existsSync(resolve(path, 'META-INF'))) return 'java';
    if (walkHasClassFiles(path, 4)) return 'java';
    throw new MetaFFIError(`--idl: cannot tell what ${source} holds: no .go, .py or .class files in it`);
  }
  switch (extname(path).toLowerCase()) {
    case '.py': return 'python';
    case '.java': case '.jar': case '.class': return 'java';
    case '.go': return 'go';
    case '.json': return 'json';
    default:
      throw new MetaFFIError(`--idl: unsupported source ${source}: expected a .py file or package, a .java, .jar or ` +
        'class folder, a .go file or package folder, or a MetaFFI IDL .json file');
  }
}

function walkHasClassFiles(dir: string, depth: number): boolean {
  if (depth < 0) return false;
  for (const name of readdirSync(dir)) {
    const full = resolve(dir, name);
    if (name.endsWith('.class')) return true;
    if (statSync(full).isDirectory() && walkHasClassFiles(full, depth - 1)) return true;
  }
  return false;
}

/** Read a foreign module's interface as MetaFFI IDL. */
export async function extractIdl(source: string): Promise<IdlDefinition> {
  switch (sourceKind(source)) {
    case 'python': return (await import('../runtimes/python3/idl.js')).extractPythonIdl(source);
    case 'java': return (await import('../runtimes/openjdk/idl.js')).extractJavaIdl(source);
    case 'go': return (await import('../runtimes/go/idl.js')).extractGoIdl(source);
    case 'json': return (await import('./json.js')).readIdlJson(source);
  }
}
