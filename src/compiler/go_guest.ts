import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from '../idl/schema.js';

export function compileGoGuest(source: string, idl: IdlDefinition, outDir: string): string[] {
  throw new MetaFFIError(`compiling Go guests is not supported yet (${source})`);
}
