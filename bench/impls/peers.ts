/** Loading the peers from bench/node_modules (the bench's own dependencies). */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SetupInfo } from '../common.js';

export function peerRequire(setup: SetupInfo, name: string): any {
  const missing = setup.missing[`peer:${name}`];
  if (missing) throw new Error(missing);
  const require = createRequire(join(setup.peersDir, 'package.json'));
  return require(name);
}
