/**
 * What every host-stub generator (TypeScript, Python) reads the same way from an IDL:
 * names made safe and unique, entity paths, which foreign type names mean a class of the
 * module, which aliases the runtime needs, literal defaults, overload order.
 */
import { MetaFFIError } from '../errors.js';
import type { IdlArg, IdlClass, IdlDefinition, IdlFunction } from '../idl/schema.js';

// ---------------------------------------------------------------------------------------
// Names

/**
 * A foreign name as an identifier of a host language: characters that `allowed` rejects
 * become `_`; a leading digit gets a `_` before it; a word of `reserved` gets `_` after it.
 * A name with no letter or digit at all cannot be renamed sensibly and is an error.
 */
export function identifierFor(name: string, what: string, language: string, allowed: RegExp,
  reserved: ReadonlySet<string> | null): string {
  if (!/[\p{L}\p{N}]/u.test(name)) {
    throw new MetaFFIError(`${what} '${name}' cannot become a ${language} identifier: it has no letter or digit`);
  }
  let id = '';
  for (const ch of name) id += allowed.test(ch) ? ch : '_';
  if (/^\p{N}/u.test(id)) id = '_' + id;
  if (reserved?.has(id)) id += '_';
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

export function simpleClassName(c: IdlClass): string {
  // Java: pkg.Outer$Inner -> Outer_Inner (the `$` of nested classes kept readable).
  const last = c.name.split('.').pop()!;
  return last.replace(/\$/g, '_');
}

/** The foreign type names that mean this class in type aliases. */
export function classAliases(c: IdlClass): string[] {
  const out = [c.name];
  const fq = c.entity_path?.class;
  if (fq) out.push(fq, fq.replace(/\$/g, '.'));
  return out;
}

/** A handle's foreign type name without pointer, slice and reference marks (`*[]*Rect` -> `Rect`). */
export function bareAlias(alias: string): string {
  let a = alias.trim();
  for (;;) {
    const before = a;
    a = a.replace(/^\*+/, '').replace(/^\[\d*\]/, '').replace(/\[\]$/, '').replace(/^&/, '').trim();
    if (a === before) return a;
  }
}

/** The classes of an IDL by every foreign type name that means them (first one wins). */
export function classesByAlias<C>(classes: readonly { idl: IdlClass; info: C }[]): Map<string, C> {
  const map = new Map<string, C>();
  for (const { idl, info } of classes) for (const alias of classAliases(idl)) if (!map.has(alias)) map.set(alias, info);
  return map;
}

// ---------------------------------------------------------------------------------------
// Entities

export const TYPE_CONSTANT: Record<string, string> = {
  float64: 'float64', float32: 'float32', int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64',
  uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', bool: 'bool', string8: 'string8',
  string16: 'string16', string32: 'string32', handle: 'handle', size: 'size', char8: 'char8',
  char16: 'char16', char32: 'char32', any: 'any', null: 'null', callable: 'callable',
};

/** The range of the integer kinds a JS number or Python int may hold exactly and that are
 * narrower than 64 bits: overload dispatch checks it. */
export const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
};

/** Java primitive (and String) spellings whose MetaFFI type says it all: no alias needed. */
export const PLAIN_ALIASES = new Set(['int', 'long', 'short', 'byte', 'float', 'double', 'boolean', 'char', 'void',
  'String', 'java.lang.String', 'int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8',
  'float32', 'float64', 'bool', 'string', 'str', 'any', 'rune', 'uint', 'byte', 'float']);

/** The MetaFFI type constant's name (`metaffi_int64_array_type`) of an argument. */
export function typeConstant(arg: IdlArg): string {
  const c = TYPE_CONSTANT[arg.type];
  if (!c) throw new MetaFFIError(`MetaFFI type '${arg.type}' is unknown`);
  return `metaffi_${c}${arg.dimensions > 0 ? '_array' : ''}_type`;
}

/** The foreign type name loadEntity must be given: the JVM needs the class of an object
 * (overloads and arrays of objects depend on it); other runtimes do not. */
export function aliasForRuntime(arg: IdlArg, runtime: string): string | undefined {
  const alias = arg.type_alias.trim();
  return alias !== '' && runtime === 'openjdk' && !PLAIN_ALIASES.has(alias) ? alias : undefined;
}

export const TAGS = new Set(['instance_required', 'getter', 'setter', 'varargs', 'named_args']);
export const KEY_ORDER = ['class', 'callable', 'field', 'attribute', 'global'];

export function rank(key: string): number {
  const i = KEY_ORDER.indexOf(key);
  return i < 0 ? KEY_ORDER.length : i;
}

/** Whether a function's first parameter is the object it works on. */
export function isInstance(fn: IdlFunction): boolean {
  return fn.instance_required === true || fn.entity_path.instance_required === 'true';
}

export function isInstanceAccessor(fn: IdlFunction, kind: 'getter' | 'setter'): boolean {
  if (isInstance(fn)) return true;
  return fn.parameters.length > (kind === 'getter' ? 0 : 1);
}

/** The entity path loadEntity takes: keys in MetaFFI's order, then tags; no module/package. */
export function entityPath(fn: IdlFunction, instance: boolean): string {
  const keys: [string, string][] = [];
  const tags: string[] = [];
  for (const [k, v] of Object.entries(fn.entity_path)) {
    if (k === 'module' || k === 'package') continue;
    if (TAGS.has(k)) {
      if (v !== 'false') tags.push(k);
    } else {
      keys.push([k, v]);
    }
  }
  if (instance && !tags.includes('instance_required')) tags.push('instance_required');
  keys.sort((a, b) => rank(a[0]) - rank(b[0]));
  tags.sort((a, b) => [...TAGS].indexOf(a) - [...TAGS].indexOf(b));
  const path = [...keys.map(([k, v]) => `${k}=${v}`), ...tags].join(',');
  if (keys.length === 0) throw new MetaFFIError(`${fn.name}: its entity path has no key (callable=, field=, ...)`);
  for (const [k, v] of keys) {
    if (v.includes(',')) throw new MetaFFIError(`${fn.name}: entity path value ${k}=${v} contains a comma`);
  }
  return path;
}

// ---------------------------------------------------------------------------------------
// Parameters

/** How a callable's parameter is passed: as it is, with a default value, as the collected
 * extra positional arguments (Python *args) when it is last, as an array of them before the
 * named arguments, or as the mapping of named arguments (Python keyword-only parameters and
 * **kwargs). */
export type ParamRole = 'plain' | 'default' | 'rest' | 'varargs' | 'named';

/** The role of each visible parameter of `fn`, and its default value (the IDL's `default`
 * tag, parsed JSON) where a literal default may be given: only in the optional tail. */
export function paramRoles(fn: IdlFunction, visible: readonly IdlArg[],
  literal: (arg: IdlArg, value: unknown, index: number) => string | undefined): { role: ParamRole; def?: string }[] {
  const varargs = fn.entity_path.varargs === 'true';
  const namedArgs = fn.entity_path.named_args === 'true';
  const n = visible.length;
  const out: { role: ParamRole; def?: string }[] = visible.map((_, i) => {
    if (namedArgs && i === n - 1) return { role: 'named' };
    if (varargs && i === n - 1 - (namedArgs ? 1 : 0)) return { role: namedArgs ? 'varargs' : 'rest' };
    return { role: 'plain' };
  });
  for (let i = n - 1; i >= 0; i--) {
    if (out[i]!.role !== 'plain') continue;
    const arg = visible[i]!;
    const raw = arg.tags.default;
    let def: string | undefined;
    if (arg.is_optional && raw !== undefined) {
      try {
        def = literal(arg, JSON.parse(raw) as unknown, i);
      } catch {
        def = undefined;
      }
    }
    if (def === undefined) break;
    out[i] = { role: 'default', def };
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Text

/** Where the generated module's bind function finds the module, per runtime. */
export function modulePathHint(runtime: string, name: string, guestLib: string): string {
  switch (runtime) {
    case 'python3': return `the .py file or package folder of \`${name}\`, or its importable name`;
    case 'openjdk': return 'the .jar files and class folders that hold the classes, joined with `;`';
    case 'go': return `the Go guest library built by \`metaffi -c --idl <source> -g go\` (${guestLib || `${name}_MetaFFIGuest`}.so)`;
    default: return 'the foreign module';
  }
}

/** The source file an IDL was read from, for the generated module's header. */
export function idlSourceName(idl: IdlDefinition): string {
  const src = idl.idl_full_path || idl.idl_filename_with_extension || idl.idl_source;
  return src.split('/').pop() || src;
}
