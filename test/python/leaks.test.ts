import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { collectGarbage } from '../support/gc.js';
import { sanitizerRssSlackMiB } from '../sanitize.js';

const runtime = new MetaFFIRuntime('python3');
const guest = runtime.loadModule(fixture('python', 'guest.py'));
const A = T.metaffi_any_type;
const H = T.metaffi_handle_type;
const F64 = T.metaffi_float64_type;
const allocatedBlocks = guest.loadEntity('callable=allocated_blocks', null, [T.metaffi_int64_type]) as () => number;

/** Run `round` many times; Python's allocated blocks and the process RSS must stay flat. */
async function assertFlat(name: string, round: (i: number) => void, rounds: number): Promise<void> {
  for (let i = 0; i < rounds / 10; i++) round(i); // warm up caches, interned strings, free lists
  await collectGarbage();
  const blocksBefore = allocatedBlocks();
  const rssBefore = process.memoryUsage.rss();
  for (let i = 0; i < rounds; i++) round(i);
  await collectGarbage();
  const blocksAfter = allocatedBlocks();
  const rssAfter = process.memoryUsage.rss();
  const blockGrowth = blocksAfter - blocksBefore;
  const rssGrowthMiB = (rssAfter - rssBefore) / (1 << 20);
  assert.ok(blockGrowth < 500, `${name}: Python allocated blocks grew by ${blockGrowth} over ${rounds} rounds`);
  // plus ASan's quarantine under METAFFI_SANITIZE=address (see sanitize.ts)
  assert.ok(rssGrowthMiB < 40 + sanitizerRssSlackMiB(), `${name}: RSS grew by ${rssGrowthMiB.toFixed(1)} MiB over ${rounds} rounds`);
}

describe('python3 long runs leak nothing', () => {
  it('a million calls with strings and numbers', async () => {
    const concat = guest.loadEntity('callable=concat', [T.metaffi_string8_type, T.metaffi_string8_type], [T.metaffi_string8_type]);
    const mul = guest.loadEntity('callable=multiply', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    await assertFlat('strings', (i) => {
      assert.equal(concat('abc', 'déf🎉'), 'abcdéf🎉');
      mul(i, 3);
    }, 500_000);
  });

  it('arrays, dicts and any values', async () => {
    const echo = guest.loadEntity('callable=echo', [A], [A]);
    const sum = guest.loadEntity('callable=sum_list', [T.metaffi_float64_array_type], [F64]);
    const values = Array.from({ length: 100 }, (_, i) => i * 0.5);
    await assertFlat('arrays', () => {
      echo({ a: [1, 'two', null], b: { c: 3.5 } });
      sum(values);
    }, 100_000);
  });

  it('handles created and dropped', async () => {
    const newPoint = guest.loadEntity('callable=Point', [F64, F64], [H]);
    const norm2 = guest.loadEntity('callable=Point.norm2,instance_required', [H], [F64]);
    await assertFlat('handles', (i) => {
      const p = newPoint(i, 1);
      norm2(p);
      if (i % 2 === 0) (p as { release(): void }).release();
    }, 100_000);
  });

  it('callbacks and errors in both directions', async () => {
    const twice = guest.loadEntity('callable=call_twice', [T.metaffi_callable_type, A], [A]);
    const boom = guest.loadEntity('callable=raise_value_error', [T.metaffi_string8_type], null);
    const makeAdder = guest.loadEntity('callable=make_adder', [T.metaffi_int64_type], [T.metaffi_callable_type]);
    await assertFlat('callbacks', (i) => {
      twice((x: number) => x + 1, i);
      try { boom('x'); } catch (e) { assert.ok(e instanceof MetaFFIError); }
      try { twice(() => { throw new Error('js'); }, 0); } catch (e) { assert.ok(e instanceof MetaFFIError); }
      (makeAdder(i) as (x: number) => number)(1);
    }, 30_000);
  });
});
