import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from '../idl/schema.js';

/** Host languages: typed stubs that call a foreign module through the MetaFFI API. */
export const hostLanguages = ['typescript', 'python3'] as const;

/** Other names of the host languages. */
const ALIASES: Record<string, (typeof hostLanguages)[number]> = { ts: 'typescript', python: 'python3', py: 'python3' };

/** The host language a -h value names (aliases resolved), unchanged when it names none. */
export function hostLanguage(name: string): string {
  return ALIASES[name] ?? name;
}

/** Write the host stubs for `idl` into outDir; returns the files written. `command` is the
 * metaffi command line the stubs name as their origin (Python stubs only). */
export async function compileHost(idl: IdlDefinition, language: string, outDir: string, command?: string): Promise<string[]> {
  switch (hostLanguage(language)) {
    case 'typescript':
      return (await import('./typescript/index.js')).compileTypeScriptHost(idl, outDir);
    case 'python3':
      return (await import('./python3/index.js')).compilePythonHost(idl, outDir, command);
    default:
      throw new MetaFFIError(`-h ${language}: unknown host language; supported: ${hostLanguages.join(', ')} ` +
        `(also ${Object.keys(ALIASES).join(', ')})`);
  }
}
