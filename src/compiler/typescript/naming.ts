/** Names in generated TypeScript: safe identifiers and scopes that hand out unique ones. */
import { MetaFFIError } from '../../errors.js';
import type { IdlDefinition } from '../../idl/schema.js';

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
  if (!/[\p{L}\p{N}]/u.test(name)) {
    throw new MetaFFIError(`${what} '${name}' cannot become a TypeScript identifier: it has no letter or digit`);
  }
  let id = '';
  for (const ch of name) id += /[\p{L}\p{N}_$]/u.test(ch) ? ch : '_';
  if (/^\p{N}/u.test(id)) id = '_' + id;
  if (!reservedWordsOk && RESERVED.has(id)) id += '_';
  return id;
}

/** Hands out names that are unique within one scope: clashes get `_2`, `_3`, ... */
export class Scope {
  readonly #used = new Set<string>();
  readonly #reserved: Set<string>;
  constructor(taken: readonly string[] = []) {
    this.#reserved = new Set(taken);
    for (const t of taken) this.#used.add(t);
  }
  /** `wanted`, or `wanted_` when the generated code itself uses that name, then `_2`, `_3`... */
  take(wanted: string): string {
    if (this.#reserved.has(wanted)) wanted += '_';
    let name = wanted;
    for (let i = 2; this.#used.has(name); i++) name = `${wanted}_${i}`;
    this.#used.add(name);
    return name;
  }
  has(name: string): boolean {
    return this.#used.has(name);
  }
}

export function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The base name of the generated module: the IDL's source name, made file-safe. */
export function hostModuleName(idl: IdlDefinition): string {
  const raw = idl.idl_source || idl.modules[0]?.name || 'module';
  return raw.replace(/[^A-Za-z0-9_.-]/g, '_');
}
