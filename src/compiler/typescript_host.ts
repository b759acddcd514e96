import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from '../idl/schema.js';

export function compileTypeScriptHost(idl: IdlDefinition, outDir: string): string[] {
  throw new MetaFFIError(`generating TypeScript stubs is not supported yet (${idl.idl_filename_with_extension})`);
}
