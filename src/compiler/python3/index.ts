/**
 * The Python host compiler: turns a MetaFFI IDL into `<name>_MetaFFIHost.py`, a typed module
 * whose functions and classes call the foreign module through MetaFFI's Python API
 * (the `metaffi` package, pip distribution `metaffi-api`).
 *
 * Shape of the generated module (docs/cli-and-stubs.md, "Python host stubs"):
 * - `bind_module_to_code(module_path, runtime_plugin=...)` loads the runtime, the module and
 *   every entity once, into module globals; each stub call is one entity call.
 * - a function per foreign function (foreign names kept; keywords get `_`); overloads as
 *   `typing.overload` signatures and one def that dispatches on the arguments' types;
 * - a class per foreign class wrapping a MetaFFIHandle (`handle`): `__init__` (overloaded
 *   when the class has several constructors), methods, static methods, properties for
 *   fields, `from_handle(h)`, `release()` and the context-manager protocol;
 * - `get_<name>()` / `set_<name>(v)` for module globals (and static fields); docstrings from
 *   the foreign comments; hints that pass `mypy --strict`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdlDefinition } from '../../idl/schema.js';
import { idlSourceName } from '../stubs_common.js';
import { Generator } from './generator.js';
import { pyModuleName } from './naming.js';

export { toPyIdentifier } from './naming.js';

/** Write `<name>_MetaFFIHost.py` for `idl` into outDir; returns the files written. */
export function compilePythonHost(idl: IdlDefinition, outDir: string, command?: string): string[] {
  const file = join(outDir, `${pyModuleName(idl)}_MetaFFIHost.py`);
  writeFileSync(file, generatePythonHost(idl, command));
  return [file];
}

/** The generated module's source text; `command` is the metaffi command line it names. */
export function generatePythonHost(idl: IdlDefinition, command?: string): string {
  return new Generator(idl).generate(command ?? `metaffi -c --idl ${idlSourceName(idl)} -h python3`);
}
