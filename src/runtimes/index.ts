import { MetaFFIError } from '../errors.js';
import type { RuntimeAdapter } from './adapter.js';
import { go } from './go/index.js';
import { openjdk } from './openjdk/index.js';
import { python3 } from './python3/index.js';

/** Every runtime this package knows. */
export const runtimes: readonly RuntimeAdapter[] = [python3, openjdk, go];

export function findRuntime(name: unknown): RuntimeAdapter {
  if (typeof name !== 'string') {
    throw new TypeError(`runtime name must be a string such as 'python3', got ${typeof name}`);
  }
  const wanted = name.trim().toLowerCase();
  const found = runtimes.find((r) => r.name === wanted || r.aliases.includes(wanted));
  if (!found) {
    const known = runtimes.map((r) => [r.name, ...r.aliases.filter((a) => a !== r.name)].join(' / ')).join(', ');
    throw new MetaFFIError(`unknown runtime '${name}'; known runtimes: ${known}`);
  }
  return found;
}
