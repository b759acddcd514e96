/** How MetaFFI types map to TypeScript types, and the records the generator works on. */
import type { IdlArg, IdlClass, IdlFunction } from '../../idl/schema.js';
import type { ParamRole } from '../stubs_common.js';

// ---------------------------------------------------------------------------------------
// Types

export const TYPED_ARRAY: Record<string, string> = {
  float64: 'Float64Array', float32: 'Float32Array', int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array',
  int64: 'BigInt64Array', uint8: 'Uint8Array', uint16: 'Uint16Array', uint32: 'Uint32Array', uint64: 'BigUint64Array',
};

export { INT_RANGE } from '../stubs_common.js';

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
  role?: ParamRole;
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
