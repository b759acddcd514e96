/**
 * MetaFFI type codes. Names and values are MetaFFI's, so IDL files written by other MetaFFI
 * tools mean the same here. An array type is `element | metaffi_array_type`; a packed
 * array (contiguous numbers, typed arrays in JS) adds `metaffi_packed_type`.
 */
export enum MetaFFITypes {
  metaffi_float64_type = 1,
  metaffi_float32_type = 2,
  metaffi_int8_type = 4,
  metaffi_int16_type = 8,
  metaffi_int32_type = 16,
  metaffi_int64_type = 32,
  metaffi_uint8_type = 64,
  metaffi_uint16_type = 128,
  metaffi_uint32_type = 256,
  metaffi_uint64_type = 512,
  metaffi_bool_type = 1024,
  metaffi_string8_type = 4096,
  metaffi_string16_type = 8192,
  metaffi_string32_type = 16384,
  metaffi_handle_type = 32768,
  metaffi_array_type = 65536,
  metaffi_size_type = 262144,
  metaffi_char8_type = 524288,
  metaffi_char16_type = 1048576,
  metaffi_char32_type = 2097152,
  metaffi_any_type = 4194304,
  metaffi_null_type = 8388608,
  metaffi_callable_type = 16777216,
  metaffi_packed_type = 33554432,

  metaffi_float64_array_type = 65537,
  metaffi_float32_array_type = 65538,
  metaffi_int8_array_type = 65540,
  metaffi_int16_array_type = 65544,
  metaffi_int32_array_type = 65552,
  metaffi_int64_array_type = 65568,
  metaffi_uint8_array_type = 65600,
  metaffi_uint16_array_type = 65664,
  metaffi_uint32_array_type = 65792,
  metaffi_uint64_array_type = 66048,
  metaffi_bool_array_type = 66560,
  metaffi_string8_array_type = 69632,
  metaffi_string16_array_type = 73728,
  metaffi_string32_array_type = 81920,
  metaffi_handle_array_type = 98304,
  metaffi_size_array_type = 327680,
  metaffi_char8_array_type = 589824,
  metaffi_char16_array_type = 1114112,
  metaffi_char32_array_type = 2162688,
  metaffi_any_array_type = 4259840,
  metaffi_callable_array_type = 16842752,

  metaffi_float64_packed_array_type = 33619969,
  metaffi_float32_packed_array_type = 33619970,
  metaffi_int8_packed_array_type = 33619972,
  metaffi_int16_packed_array_type = 33619976,
  metaffi_int32_packed_array_type = 33619984,
  metaffi_int64_packed_array_type = 33620000,
  metaffi_uint8_packed_array_type = 33620032,
  metaffi_uint16_packed_array_type = 33620096,
  metaffi_uint32_packed_array_type = 33620224,
  metaffi_uint64_packed_array_type = 33620480,
  metaffi_bool_packed_array_type = 33620992,
  metaffi_size_packed_array_type = 33882112,
}

export const ARRAY_FLAG = MetaFFITypes.metaffi_array_type;
export const PACKED_FLAG = MetaFFITypes.metaffi_packed_type;

/** A declared type with an optional alias (a foreign type name) and array dimensions. */
export class MetaFFITypeInfo {
  readonly type: MetaFFITypes;
  readonly alias: string | undefined;
  readonly dimensions: number;

  constructor(type: MetaFFITypes | number, alias?: string | null, dimensions?: number) {
    this.type = type as MetaFFITypes;
    this.alias = alias ?? undefined;
    this.dimensions = dimensions ?? 0;
  }

  toString(): string {
    return typeName(this.type, this.dimensions) + (this.alias ? ` (${this.alias})` : '');
  }
}

export type MetaFFITypeSpec = MetaFFITypes | MetaFFITypeInfo | number;

/** What the native core receives for each declared type. */
export interface NativeTypeInfo {
  type: number;
  dims: number;
  alias: string | null;
}

const BASE_NAMES = new Map<number, string>([
  [1, 'float64'], [2, 'float32'], [4, 'int8'], [8, 'int16'], [16, 'int32'], [32, 'int64'],
  [64, 'uint8'], [128, 'uint16'], [256, 'uint32'], [512, 'uint64'], [1024, 'bool'],
  [4096, 'string8'], [8192, 'string16'], [16384, 'string32'], [32768, 'handle'],
  [262144, 'size'], [524288, 'char8'], [1048576, 'char16'], [2097152, 'char32'],
  [4194304, 'any'], [8388608, 'null'], [16777216, 'callable'],
]);

const PACKABLE = new Set([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 262144]);

/** Base type names by MetaFFI IDL spelling ("int64", "string8", ...) and back. */
export function baseTypeCode(name: string): number | undefined {
  for (const [code, n] of BASE_NAMES) if (n === name) return code;
  return undefined;
}

export function baseTypeName(code: number): string | undefined {
  return BASE_NAMES.get(code);
}

export function typeName(type: number, dims = 0): string {
  const base = type & ~(ARRAY_FLAG | PACKED_FLAG);
  const isArray = (type & ARRAY_FLAG) !== 0 || dims > 0;
  const d = isArray ? Math.max(dims, 1) : 0;
  const packed = (type & PACKED_FLAG) !== 0 ? 'packed ' : '';
  return packed + (BASE_NAMES.get(base) ?? `type ${type}`) + '[]'.repeat(d);
}

function describeSpec(spec: unknown): string {
  if (typeof spec === 'object' && spec !== null) return 'object ' + JSON.stringify(spec);
  return `${typeof spec} ${String(spec)}`;
}

/** The code of `any`, the element of MetaFFI's bare array type. */
const ANY_CODE = 4194304;
/** As deep as any value may nest (METAFFI_MAX_DEPTH in xllr/metaffi.h). */
export const MAX_DEPTH = 256;
const MAX_DIMENSIONS = MAX_DEPTH;

/**
 * Strings that become paths, names or C strings cannot hold NUL: the native side would cut
 * them short at it and load something else.
 */
export function rejectNul(text: string, what: string): void {
  const at = text.indexOf('\0');
  if (at >= 0) {
    throw new TypeError(`${what} contains a NUL character (\\0) at index ${at}; ` +
      'paths and names cannot contain NUL');
  }
}

function normalizeOne(spec: unknown, where: string): NativeTypeInfo {
  let type: number;
  let alias: string | null = null;
  let dims = 0;
  if (spec instanceof MetaFFITypeInfo) {
    type = spec.type;
    alias = spec.alias ?? null;
    dims = spec.dimensions;
  } else if (typeof spec === 'number') {
    type = spec;
  } else if (typeof spec === 'object' && spec !== null && typeof (spec as { type?: unknown }).type === 'number') {
    const o = spec as { type: number; alias?: unknown; dimensions?: unknown };
    type = o.type;
    alias = typeof o.alias === 'string' ? o.alias : null;
    dims = typeof o.dimensions === 'number' ? o.dimensions : 0;
  } else {
    throw new TypeError(`${where}: expected a MetaFFITypes value or a MetaFFITypeInfo, got ${describeSpec(spec)}`);
  }
  if (!Number.isInteger(type) || type <= 0) {
    throw new TypeError(`${where}: ${type} is not a MetaFFI type code (use a MetaFFITypes member)`);
  }
  if (!Number.isInteger(dims) || dims < 0) {
    throw new TypeError(`${where}: dimensions must be a whole number >= 0, got ${dims}`);
  }
  if (type === ARRAY_FLAG) type = ARRAY_FLAG | ANY_CODE; // MetaFFI's bare array type: an array of any
  if (alias !== null) rejectNul(alias, `${where}: the alias`);
  if (dims > MAX_DIMENSIONS) {
    throw new RangeError(`${where}: ${dims} dimensions; arrays may have at most ${MAX_DIMENSIONS}`);
  }
  const base = type & ~(ARRAY_FLAG | PACKED_FLAG);
  if (!BASE_NAMES.has(base)) {
    throw new TypeError(`${where}: ${type} is not a MetaFFI type code (use a MetaFFITypes member)`);
  }
  if ((type & PACKED_FLAG) !== 0) {
    type |= ARRAY_FLAG;
    if (!PACKABLE.has(base)) {
      throw new TypeError(`${where}: packed arrays hold numbers or bools, not ${BASE_NAMES.get(base)}`);
    }
    if (dims > 1) throw new TypeError(`${where}: packed arrays have one dimension, not ${dims}`);
  }
  if (dims > 0) type |= ARRAY_FLAG;
  if ((type & ARRAY_FLAG) !== 0 && dims === 0) dims = 1;
  return { type, dims, alias };
}

/** Check and normalize a declared type list; null/undefined means none. */
export function normalizeTypes(list: unknown, what: string): NativeTypeInfo[] {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new TypeError(`${what} types must be an array of MetaFFITypes or MetaFFITypeInfo (or null), got ${describeSpec(list)}`);
  }
  return list.map((spec, i) => normalizeOne(spec, `${what} type ${i + 1}`));
}
