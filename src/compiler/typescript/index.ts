/**
 * The TypeScript host compiler: turns a MetaFFI IDL into `<name>_MetaFFIHost.ts`, a typed
 * module whose functions and classes call the foreign module through the MetaFFI API.
 *
 * Shape of the generated module (docs/cli-and-stubs.md):
 * - `bindModuleToCode(modulePath, runtimePlugin?)` loads the runtime, the module and every
 *   entity once; the typed functions and classes call those entities, one crossing per call.
 * - a function per foreign function; a class per foreign class, wrapping a MetaFFIHandle
 *   (`handle`), with constructors (`new`), methods, static methods, and get/set properties
 *   for fields, Python properties and attributes; `Class.fromHandle(h)` wraps an existing
 *   object; `release()` / `using` drop the foreign object.
 * - `getX()` / `setX(v)` for module globals; JSDoc from the foreign comments.
 * - beside each of those an async form calling `entities.<key>.async(...)`: `fooAsync(...)`,
 *   `Class.newAsync(...)`, `getXAsync()` / `setXAsync(v)`, named after every sync name is
 *   taken (naming.ts `asyncName`), so the sync members are the same with or without them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdlDefinition } from '../../idl/schema.js';
import { Generator } from './generator.js';
import { hostModuleName } from './naming.js';

export { hostModuleName, toIdentifier } from './naming.js';

/** Write `<name>_MetaFFIHost.ts` for `idl` into outDir; returns the files written. */
export function compileTypeScriptHost(idl: IdlDefinition, outDir: string, command?: string): string[] {
  const name = hostModuleName(idl);
  const file = join(outDir, `${name}_MetaFFIHost.ts`);
  writeFileSync(file, generateTypeScriptHost(idl, command));
  return [file];
}


/** The generated module's source text. */
export function generateTypeScriptHost(idl: IdlDefinition, command?: string): string {
  return new Generator(idl).generate(command);
}
