/** How MetaFFI types map to Python type hints and run-time checks, and the records the generator works on. */
import type { IdlArg, IdlClass, IdlFunction } from '../../idl/schema.js';
import { INT_RANGE, type ParamRole } from '../stubs_common.js';

export interface ClassInfo {
  idl: IdlClass;
  id: string;
}

export interface ArgInfo {
  arg: IdlArg;
  /** The Python identifier of the parameter. */
  id: string;
  base: string;
  dims: number;
  /** The generated class of a handle (or a list of handles) of a known class. */
  cls?: ClassInfo;
  role: ParamRole;
  /** The Python default value (role 'default'). */
  def?: string;
}

export interface Callable {
  fn: IdlFunction;
  /** The module global that holds the loaded entity. */
  entity: string;
  /** Parameters the Python caller passes (the object of an instance method excluded). */
  params: ArgInfo[];
  rets: ArgInfo[];
  instance: boolean;
}

/** The Python type of a value of a MetaFFI base type (handles of known classes aside). */
export function scalarHint(base: string): string {
  switch (base) {
    case 'float64': case 'float32': return 'float';
    case 'int8': case 'int16': case 'int32': case 'int64': case 'uint8': case 'uint16': case 'uint32': case 'uint64':
    case 'size':
      return 'int';
    case 'bool': return 'bool';
    case 'string8': case 'string16': case 'string32': case 'char8': case 'char16': case 'char32': return 'str';
    case 'handle': return 'MetaFFIHandle';
    case 'callable': return 'Callable[..., Any]';
    case 'null': return 'None';
    case 'any': return 'Any';
    default: throw new Error(`MetaFFI type '${base}' has no Python mapping`);
  }
}

const FULL_RANGE: Record<string, [string, string]> = {
  int64: ['-9223372036854775808', '9223372036854775807'], uint64: ['0', '18446744073709551615'],
  size: ['0', '18446744073709551615'],
};

/** A run-time test that `v` is a value of the scalar MetaFFI type `base`. */
export function scalarCheck(base: string, v: string, cls: ClassInfo | undefined): string {
  switch (base) {
    case 'float64': case 'float32': return `isinstance(${v}, (int, float)) and not isinstance(${v}, bool)`;
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
    case 'int64': case 'uint64': case 'size': {
      const [lo, hi] = INT_RANGE[base] ? INT_RANGE[base].map(String) : FULL_RANGE[base]!;
      return `isinstance(${v}, int) and not isinstance(${v}, bool) and ${lo} <= ${v} <= ${hi}`;
    }
    case 'bool': return `isinstance(${v}, bool)`;
    case 'string8': case 'string16': case 'string32': return `isinstance(${v}, str)`;
    case 'char8': case 'char16': case 'char32': return `isinstance(${v}, str) and len(${v}) == 1`;
    case 'handle': return `isinstance(${v}, ${cls ? cls.id : 'MetaFFIHandle'})`;
    case 'callable': return `callable(${v})`;
    case 'null': return `${v} is None`;
    default: return 'True';
  }
}

/** Which overload to try first for the same arguments: bool before int (a Python bool is an
 * int), the common Java integer kinds first, known classes before bare handles; `any`
 * (hint Any, or a list of Any) is broader than every other type of as many or more list
 * levels, so it comes after all of them, and Any after list[Any]. Sorted this way, no
 * overload hides a later one (what mypy checks). */
export const PY_SPECIFICITY = ['bool', 'int32', 'int64', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64', 'size',
  'float64', 'float32', 'char16', 'char8', 'char32', 'string8', 'string16', 'string32', 'callable', 'handle', 'null'];

function paramOrder(p: ArgInfo): number {
  if (p.base === 'any') return 1_000_000 - p.dims;
  return p.dims * 1000 + PY_SPECIFICITY.indexOf(p.base) - (p.cls ? 0.5 : 0);
}

export function compareSpecificity(a: Callable, b: Callable): number {
  if (a.params.length !== b.params.length) return a.params.length - b.params.length;
  for (let i = 0; i < a.params.length; i++) {
    const d = paramOrder(a.params[i]!) - paramOrder(b.params[i]!);
    if (d !== 0) return d;
  }
  return 0;
}
