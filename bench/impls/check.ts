/** Result checks shared by the implementations: each returns what is wrong, or null. */
import { STRING40, sumOf } from '../common.js';

export const isUndefinedOrNull = (r: unknown): string | null =>
  r === undefined || r === null ? null : `expected nothing, got ${String(r)}`;

/** The expected number (a bigint or a boxed Number of the same value counts too). */
export const is = (want: number) => (r: unknown): string | null => {
  const v = r instanceof Number ? r.valueOf() : r;
  return v === want || (typeof v === 'bigint' && BigInt(want) === v) ? null : `expected ${want}, got ${String(r)}`;
};

export const isString40 = (r: unknown): string | null =>
  r === STRING40 ? null : `expected the 40-character string, got ${typeof r === 'string' ? JSON.stringify(r) : typeof r}`;

export const isSum = (n: number) => (r: unknown): string | null =>
  r === sumOf(n) ? null : `expected ${sumOf(n)}, got ${String(r)}`;

/** An echoed float array (plain or typed): same length, same ends. */
export const isFloats = (n: number, typed: boolean) => (r: unknown): string | null => {
  const a = r as ArrayLike<number> | null;
  if (!a || typeof a.length !== 'number') return `expected an array, got ${typeof r}`;
  if (typed && !(r instanceof Float64Array)) return `expected a Float64Array, got ${Object.prototype.toString.call(r)}`;
  if (!typed && !Array.isArray(r)) return `expected an Array, got ${Object.prototype.toString.call(r)}`;
  if (a.length !== n) return `expected ${n} elements, got ${a.length}`;
  if (n > 0 && (a[0] !== 0 || a[n - 1] !== (n - 1) * 0.5)) return 'wrong elements';
  return null;
};

/** An error that names the foreign error and its message. */
export const isBenchError = (r: unknown): string | null => {
  if (!(r instanceof Error)) return `expected an Error, got ${String(r)}`;
  const text = `${r.message} ${(r as { stack?: string }).stack ?? ''}`;
  return text.includes('bench error') ? null : `the error does not carry the message: ${r.message}`;
};

/** Call f and return what it throws (the error scenario's operation). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
    return null;
  } catch (e) {
    return e;
  }
}

export async function thrownAsync(f: () => Promise<unknown>): Promise<unknown> {
  try {
    await f();
    return null;
  } catch (e) {
    return e;
  }
}
