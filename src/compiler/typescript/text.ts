/** Small pieces of the generated text: quoting, wrapping, overload order, defaults, hints. */
import type { ArgInfo, Callable } from './types.js';

/** Which overload to try first for the same arguments: the common Java types first. */
export const SPECIFICITY = ['int32', 'int64', 'float64', 'int16', 'int8', 'float32', 'uint8', 'uint16', 'uint32', 'uint64', 'size',
  'bool', 'char16', 'char8', 'char32', 'string8', 'string16', 'string32', 'callable', 'handle', 'null', 'any'];

export function compareSpecificity(a: Callable, b: Callable): number {
  if (a.params.length !== b.params.length) return a.params.length - b.params.length;
  for (let i = 0; i < a.params.length; i++) {
    const pa = a.params[i]!;
    const pb = b.params[i]!;
    if (pa.dims !== pb.dims) return pa.dims - pb.dims;
    // Known classes before bare handles before any.
    const ra = SPECIFICITY.indexOf(pa.base) - (pa.cls ? 0.5 : 0);
    const rb = SPECIFICITY.indexOf(pb.base) - (pb.cls ? 0.5 : 0);
    if (ra !== rb) return ra - rb;
  }
  return 0;
}

/** A default value as TS source, from the IDL's parsed `default` tag. */
export function defaultValue(p: ArgInfo, v: unknown): string | undefined {
  const raw = p.arg.tags.default ?? '';
  if (p.dims > 0) return Array.isArray(v) && v.length === 0 ? '[]' : undefined;
  switch (p.base) {
    case 'int64': case 'uint64': case 'size':
      if (typeof v !== 'number' || !Number.isInteger(v)) return undefined;
      return Number.isSafeInteger(v) ? String(v) : `${raw.trim()}n`;
    case 'float64': case 'float32': case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
      return typeof v === 'number' ? String(v) : undefined;
    case 'bool': return typeof v === 'boolean' ? String(v) : undefined;
    case 'string8': case 'string16': case 'string32': case 'char8': case 'char16': case 'char32':
      return typeof v === 'string' ? quote(v) : undefined;
    case 'any': return typeof v === 'string' ? quote(v) : v === null || typeof v !== 'object' ? JSON.stringify(v) : undefined;
    case 'null': case 'handle': return v === null ? 'null' : undefined;
    default: return undefined;
  }
}

export const MAX_LINE = 120;

/** A string literal in single quotes. */
export function quote(s: string): string {
  return `'${s.replace(/[\\']/g, (m) => '\\' + m).replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** `head(params)tail`, or one parameter a line when that is too long. */
export function wrapSignature(ind: string, head: string, params: string, tail: string): string[] {
  const one = `${ind}${head}(${params})${tail}`;
  if (one.length <= MAX_LINE || params === '') return [one];
  return [`${ind}${head}(`, ...splitParams(params).map((p) => `${ind}  ${p},`), `${ind})${tail}`];
}

/** Split a parameter list at its top-level commas. */
export function splitParams(params: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < params.length; i++) {
    const ch = params[i];
    if (ch === '(' || ch === '[' || ch === '{' || ch === '<') depth++;
    else if (ch === ')' || ch === ']' || ch === '}' || (ch === '>' && params[i - 1] !== '=')) depth--;
    else if (ch === ',' && depth === 0) {
      out.push(params.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(params.slice(start).trim());
  return out;
}

export function escapeTemplate(s: string): string {
  return s.replace(/[`\\$]/g, (m) => '\\' + m);
}

/**
 * Lines with holes: the text of async forms is made only once every sync name of their scope
 * is taken (`fill`), then spliced in where it was asked for, after its sync form.
 */
export class Later {
  readonly #holes: { lines: string[]; at: number; make: () => string[] }[] = [];
  /** Leave a hole at the end of `lines`, filled by `make()` later. */
  add(lines: string[], make: () => string[]): void {
    this.#holes.push({ lines, at: lines.length, make });
  }
  /** Make every hole's text in the order they were added (so names are taken in that order), then splice. */
  fill(): void {
    const made = this.#holes.map((h) => h.make());
    for (let i = this.#holes.length - 1; i >= 0; i--) {
      const h = this.#holes[i]!;
      h.lines.splice(h.at, 0, ...made[i]!);
    }
    this.#holes.length = 0;
  }
}
