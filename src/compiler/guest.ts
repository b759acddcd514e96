import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from '../idl/schema.js';

/** Guest languages: a foreign module compiled so MetaFFI can load it. */
export const guestLanguages = ['go'] as const;

/** Build the guest library for `source` into outDir; returns the files written. */
export async function compileGuest(source: string, idl: IdlDefinition, language: string, outDir: string): Promise<string[]> {
  switch (language) {
    case 'go': return (await import('./go_guest.js')).compileGoGuest(source, idl, outDir);
    default:
      throw new MetaFFIError(`-g ${language}: unknown guest language; supported: ${guestLanguages.join(', ')}`);
  }
}
