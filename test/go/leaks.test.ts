import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, type MetaFFIModule } from 'metaffi';
import { collectGarbage as collect } from '../support/gc.js';
import { goGuest } from './guests.js';
import { sanitizerRssSlackMiB } from '../sanitize.js';

let guest: MetaFFIModule;
before(() => {
  guest = new MetaFFIRuntime('go').loadModule(goGuest('guest'));
});

const MB = 1024 * 1024;
/** What RSS may grow by: 40 MB, plus ASan's quarantine under METAFFI_SANITIZE=address (see sanitize.ts). */
const ALLOWED = (40 + sanitizerRssSlackMiB()) * MB;

/** RSS growth over `rounds` rounds of `work` (garbage collected after each), measured after
 * two warm-up rounds: memory a leak keeps grows with every round, memory that is reused does
 * not. */
async function growth(work: () => void, rounds: number): Promise<number> {
  for (let i = 0; i < 2; i++) {
    work();
    await collect();
  }
  const start = process.memoryUsage().rss;
  for (let i = 0; i < rounds; i++) {
    work();
    await collect();
  }
  return process.memoryUsage().rss - start;
}

describe('go: long runs leave memory flat', () => {
  it('a million string calls', async () => {
    const echo = guest.loadEntity('callable=EchoString', [T.metaffi_string8_type], [T.metaffi_string8_type]);
    const s = 'a string of some length '.repeat(4);
    const grown = await growth(() => { for (let i = 0; i < 250_000; i++) echo(s); }, 4);
    assert.ok(grown < ALLOWED, `RSS grew by ${(grown / MB).toFixed(1)} MB`);
  });

  it('a million array calls', async () => {
    const doubles = guest.loadEntity('callable=Doubles', [T.metaffi_float64_array_type], [T.metaffi_float64_array_type]);
    const a = [1, 2, 3, 4, 5, 6, 7, 8];
    const grown = await growth(() => { for (let i = 0; i < 250_000; i++) doubles(a); }, 4);
    assert.ok(grown < ALLOWED, `RSS grew by ${(grown / MB).toFixed(1)} MB`);
  });

  it('a million handles made and released', async () => {
    const newPoint = guest.loadEntity('callable=NewPoint', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_handle_type]);
    const dist = guest.loadEntity('callable=Point.Dist,instance_required', [T.metaffi_handle_type], [T.metaffi_float64_type]);
    const grown = await growth(() => {
      for (let i = 0; i < 125_000; i++) {
        const p = newPoint(i, 0);
        dist(p);
        if (i % 2 === 0) p.release(); // the other half goes with garbage collection
      }
    }, 8);
    assert.ok(grown < ALLOWED, `RSS grew by ${(grown / MB).toFixed(1)} MB`);
  });

  it('a million callbacks', async () => {
    const apply = guest.loadEntity('callable=Apply', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    const f = (x: number) => x + 1;
    const grown = await growth(() => { for (let i = 0; i < 100_000; i++) apply(f, i); }, 10);
    assert.ok(grown < ALLOWED, `RSS grew by ${(grown / MB).toFixed(1)} MB`);
  });
});
