/** Names in generated Python: safe identifiers, and the names the generated code keeps for itself. */
import type { IdlDefinition } from '../../idl/schema.js';
import { hostModuleName, identifierFor } from '../stubs_common.js';

export { Scope } from '../stubs_common.js';

/** The base name of the generated module, importable: the IDL's source name with every
 * character that cannot be in a Python module name as `_` (log4j-api-2.21.1 -> log4j_api_2_21_1). */
export function pyModuleName(idl: IdlDefinition): string {
  const name = hostModuleName(idl).replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** Python's keywords (keyword.kwlist): a foreign name spelled like one gets `_` after it. */
export const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
  'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal',
  'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** Builtins and typing names the generated code refers to: a foreign name must not hide them. */
export const USED_NAMES = ['annotations', 'Any', 'Callable', 'NoReturn', 'overload', 'int', 'float', 'str', 'bool', 'bytes',
  'bytearray', 'list', 'tuple', 'dict', 'object', 'type', 'isinstance', 'len', 'callable', 'property', 'staticmethod',
  'classmethod', 'TypeError', 'RuntimeError', 'MetaFFIError', 'MetaFFIRuntime', 'MetaFFIModule', 'MetaFFIHandle', 'MetaFFITypes',
  'metaffi_type_info'];

/** Names the generated module defines at top level. */
export const TOP_LEVEL_TAKEN = [...USED_NAMES, 'bind_module_to_code', 'runtime_name', '_not_bound', '_describe_args',
  '_runtime', '_module'];

/** Members every generated class has (and names its annotations and decorators use). */
export const CLASS_MEMBERS_TAKEN = [...USED_NAMES, 'handle', 'release', 'from_handle', '__init__', '__enter__', '__exit__',
  '__slots__'];

/** Names a parameter cannot take: the ones bodies refer to (locals of the bodies, such as
 * `h` or `r0`, are assigned after the parameters were read, and comprehensions have their own scope). */
export const PARAM_TAKEN = [...TOP_LEVEL_TAKEN, 'self', 'cls'];

/** Prefix of the module globals that hold the loaded entities. */
export const ENTITY_PREFIX = '_e_';

/**
 * A foreign name as a Python identifier: characters other than letters, digits and `_`
 * become `_`; a leading digit gets a `_` before it; a keyword gets `_` after it. A name
 * with no letter or digit at all cannot be renamed sensibly and is an error.
 */
export function toPyIdentifier(name: string, what: string): string {
  return identifierFor(name, what, 'Python', /[\p{L}\p{N}_]/u, KEYWORDS);
}
