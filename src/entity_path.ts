import { rejectNul } from './types.js';
import { MetaFFIError } from './errors.js';
import type { PathItem } from './native.js';

/** What a runtime accepts in an entity path (DESIGN §4). */
export interface EntityPathRules {
  runtime: string;
  keys: readonly string[];
  tags: readonly string[];
  /** Each inner list: exactly one of these keys must be present. */
  oneOf: readonly (readonly string[])[];
  /** Keys that must always be present. */
  required?: readonly string[];
}

/**
 * Parse "key=value,key=value,tag" into items, checking keys and tags against the rules.
 * Values may contain '=' (only the first one splits) but not ','.
 */
export function parseEntityPath(path: unknown, rules: EntityPathRules): PathItem[] {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new TypeError(`entity path must be a non-empty string like 'callable=name', got ${typeof path === 'string' ? 'an empty string' : typeof path}`);
  }
  rejectNul(path, `entity path ${JSON.stringify(path)}`);
  const accepted = () =>
    `${rules.runtime} entity paths accept keys ${rules.keys.join(', ')} and tags ${rules.tags.join(', ')}`;
  const items: PathItem[] = [];
  const seen = new Set<string>();
  for (const raw of path.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? null : part.slice(eq + 1).trim();
    if (seen.has(key)) throw new MetaFFIError(`entity path '${path}': '${key}' appears twice`);
    seen.add(key);
    if (value === null) {
      if (rules.keys.includes(key)) {
        throw new MetaFFIError(`entity path '${path}': '${key}' needs a value (${key}=...)`);
      }
      if (!rules.tags.includes(key)) {
        throw new MetaFFIError(`entity path '${path}': unknown tag '${key}'; ${accepted()}`);
      }
    } else {
      if (rules.tags.includes(key)) {
        throw new MetaFFIError(`entity path '${path}': '${key}' is a tag and takes no value`);
      }
      if (!rules.keys.includes(key)) {
        throw new MetaFFIError(`entity path '${path}': unknown key '${key}'; ${accepted()}`);
      }
      if (value === '') throw new MetaFFIError(`entity path '${path}': '${key}' has an empty value`);
    }
    items.push([key, value]);
  }
  for (const key of rules.required ?? []) {
    if (!seen.has(key)) throw new MetaFFIError(`entity path '${path}': missing ${key}=...; ${accepted()}`);
  }
  for (const group of rules.oneOf) {
    const present = group.filter((k) => seen.has(k));
    if (present.length !== 1) {
      const what = group.map((k) => `${k}=...`).join(' or ');
      throw new MetaFFIError(`entity path '${path}': needs exactly one of ${what}` +
        (present.length > 1 ? ` (found ${present.join(' and ')})` : '') + `; ${accepted()}`);
    }
  }
  if (seen.has('getter') && seen.has('setter')) {
    throw new MetaFFIError(`entity path '${path}': getter and setter cannot both be set`);
  }
  return items;
}

export function pathValue(items: PathItem[], key: string): string | undefined {
  const item = items.find(([k]) => k === key);
  return item ? (item[1] ?? '') : undefined;
}

export function pathHas(items: PathItem[], key: string): boolean {
  return items.some(([k]) => k === key);
}
