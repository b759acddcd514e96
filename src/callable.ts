import { nativeCore } from './native.js';
import { normalizeTypes, type MetaFFITypeSpec } from './types.js';

/**
 * Declare the signature of a JS function that foreign code will call. Without it a JS
 * function passed to a foreign runtime still works: its arguments arrive as their natural
 * JS values and its return value goes back as `any`. Declared return types make the result
 * convert to exactly those types (several return types: return an array).
 * Returns the same function.
 */
export function makeMetaFFICallable<F extends (...args: any[]) => any>(
  fn: F,
  paramTypes?: readonly MetaFFITypeSpec[] | null,
  retvalTypes?: readonly MetaFFITypeSpec[] | null,
): F {
  if (typeof fn !== 'function') {
    throw new TypeError(`makeMetaFFICallable expects a function, got ${fn === null ? 'null' : typeof fn}`);
  }
  const params = normalizeTypes(paramTypes, 'callback parameter');
  const rets = retvalTypes === undefined || retvalTypes === null ? null : normalizeTypes(retvalTypes, 'callback return value');
  nativeCore().setCallableTypes(fn, params, rets);
  return fn;
}
