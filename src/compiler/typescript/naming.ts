/** Names in generated TypeScript: safe identifiers and scopes that hand out unique ones. */
import { identifierFor } from '../stubs_common.js';

export { hostModuleName, Scope, upperFirst } from '../stubs_common.js';

// ---------------------------------------------------------------------------------------
// Names

export const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in',
  'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try',
  'typeof', 'var', 'void', 'while', 'with', 'implements', 'interface', 'let', 'package', 'private',
  'protected', 'public', 'static', 'yield', 'await', 'arguments', 'eval', 'undefined', 'NaN',
  'Infinity', 'any', 'unknown', 'never', 'number', 'bigint', 'boolean', 'string', 'symbol', 'object',
]);

/** Names the generated module itself uses at top level. */
export const TOP_LEVEL_TAKEN = ['bindModuleToCode', 'MetaFFIRuntime', 'MetaFFIModule', 'MetaFFIHandle', 'MetaFFIError',
  'MetaFFITypeInfo', 'MetaFFICallable', 'T', 'entities', 'notBound', 'runtimeName', 'Object', 'Array',
  'Symbol', 'TypeError', 'Error', 'Number', 'String', 'BigInt', 'Math', 'JSON', 'Promise', 'Map', 'Set',
  'Date', 'Function', 'Boolean', 'ArrayBuffer'];

/** Members every generated class has. */
export const CLASS_MEMBERS_TAKEN = ['handle', 'release', 'fromHandle', 'constructor', 'toString'];
/** Static names a class cannot redefine (Function's own properties). */
export const STATIC_TAKEN = ['name', 'length', 'caller', 'arguments', 'prototype', 'fromHandle', 'apply', 'call', 'bind'];

/**
 * A foreign name as a TS identifier: characters other than letters, digits, `_` and `$`
 * become `_`; a leading digit gets a `_` before it; a reserved word gets `_` after it. A
 * name with no letter or digit at all cannot be renamed sensibly and is an error.
 */
export function toIdentifier(name: string, what: string, reservedWordsOk = false): string {
  return identifierFor(name, what, 'TypeScript', /[\p{L}\p{N}_$]/u, reservedWordsOk ? null : RESERVED);
}

/**
 * The name wanted for the async form of the generated function or member `name` (as the
 * sync form is named, renaming included: `release_` -> `release_Async`; a property `x` ->
 * `getXAsync` / `setXAsync`): `<name>Async`. It is taken from the same scope as the sync
 * names, after all of them, so the sync names never change; a clash (a foreign `fooAsync`
 * beside `foo`) makes it `fooAsync_2`, like any other clash.
 */
export function asyncName(name: string): string {
  return `${name}Async`;
}

/** The async form of the constructors: a static `newAsync(...)`. */
export const ASYNC_CONSTRUCTOR = 'newAsync';

