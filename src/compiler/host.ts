import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from '../idl/schema.js';

/** Host languages: typed stubs that call a foreign module through the MetaFFI API. */
export const hostLanguages = ['typescript'] as const;

/** Write the host stubs for `idl` into outDir; returns the files written. */
export async function compileHost(idl: IdlDefinition, language: string, outDir: string): Promise<string[]> {
  switch (language) {
    case 'typescript':
    case 'ts':
      return (await import('./typescript/index.js')).compileTypeScriptHost(idl, outDir);
    default:
      throw new MetaFFIError(`-h ${language}: unknown host language; supported: ${hostLanguages.join(', ')}`);
  }
}
