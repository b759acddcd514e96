/** How MetaFFI types map to TypeScript types, and the records the generator works on. */
import type { IdlArg, IdlClass, IdlFunction } from '../../idl/schema.js';

// ---------------------------------------------------------------------------------------
// Types

export const TYPE_CONSTANT: Record<string, string> = {
  float64: 'float64', float32: 'float32', int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64',
  uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', bool: 'bool', string8: 'string8',
  string16: 'string16', string32: 'string32', handle: 'handle', size: 'size', char8: 'char8',
  char16: 'char16', char32: 'char32', any: 'any', null: 'null', callable: 'callable',
};

export const TYPED_ARRAY: Record<string, string> = {
  float64: 'Float64Array', float32: 'Float32Array', int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array',
  int64: 'BigInt64Array', uint8: 'Uint8Array', uint16: 'Uint16Array', uint32: 'Uint32Array', uint64: 'BigUint64Array',
};

export const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
};

/** Java primitive (and String) spellings whose MetaFFI type says it all: no alias needed. */
export const PLAIN_ALIASES = new Set(['int', 'long', 'short', 'byte', 'float', 'double', 'boolean', 'char', 'void',
  'String', 'java.lang.String', 'int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8',
  'float32', 'float64', 'bool', 'string', 'str', 'any', 'rune', 'uint', 'byte', 'float']);

export interface ArgInfo {
  arg: IdlArg;
  /** The TS identifier of the parameter. */
  id: string;
  base: string;
  dims: number;
  /** The generated class of a handle of a known class. */
  cls?: ClassInfo;
  /** How a callable's parameter is passed: as it is, with a TS default value, as the rest
   * parameter (Python *args), as an array before the named arguments, or as the object of
   * named arguments (Python keyword-only parameters and **kwargs). */
  role?: 'plain' | 'default' | 'rest' | 'varargs' | 'named';
  /** The TS default value (role 'default'). */
  def?: string;
}

export interface ClassInfo {
  idl: IdlClass;
  id: string;
}

// ---------------------------------------------------------------------------------------
// Generation

export interface EntityRef {
  key: string;
  path: string;
  params: ArgInfo[];
  rets: ArgInfo[];
}

/** Where in the generated code an entity is used. */
export interface Callable {
  fn: IdlFunction;
  entity: EntityRef;
  /** Parameters the TS caller passes (the object of an instance method excluded). */
  params: ArgInfo[];
  rets: ArgInfo[];
  instance: boolean;
  varargs: boolean;
  namedArgs: boolean;
}

export const TAGS = new Set(['instance_required', 'getter', 'setter', 'varargs', 'named_args']);
export const KEY_ORDER = ['class', 'callable', 'field', 'attribute', 'global'];
