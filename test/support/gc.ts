import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setImmediate as tick } from 'node:timers/promises';

setFlagsFromString('--expose-gc');
const gcFn = runInNewContext('gc') as () => void;

/** Run V8's GC and give finalizers and the releases they queue a chance to run. */
export async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gcFn();
    await tick();
  }
}
