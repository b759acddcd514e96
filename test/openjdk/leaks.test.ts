import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIError, MetaFFIRuntime, MetaFFITypes as T, MetaFFIHandle } from 'metaffi';
import { collectGarbage } from '../support/gc.js';
import { guestClasses } from '../support/java.js';
import { sanitizerRssSlackMiB } from '../sanitize.js';

// A fixed, pre-touched Java heap: RSS then measures native memory (JNI references, the
// core's arena, handle records) and not the heap growing into its default maximum.
process.env.METAFFI_JVM_OPTIONS = '-Xms96m -Xmx96m -XX:+AlwaysPreTouch';

const S = T.metaffi_string8_type;
const I64 = T.metaffi_int64_type;
const I32 = T.metaffi_int32_type;
const A = T.metaffi_any_type;
const H = T.metaffi_handle_type;
const C = T.metaffi_callable_type;

const jvm = new MetaFFIRuntime('openjdk');
const guest = jvm.loadModule(guestClasses());
const fn = (name: string, params: number[] | null, rets: number[] | null) =>
  guest.loadEntity(`class=guest.Guest,callable=${name}`, params, rets);
/** Java objects held by other runtimes right now (the plugin's jref count). */
const liveReferences = guest.loadEntity('class=metaffi.jvm.Bridge,callable=liveReferences', null, [I64]) as () => number;
const gc = jvm.loadModule('java.base').loadEntity('class=java.lang.System,callable=gc', null, null);

async function settle(): Promise<void> {
  await collectGarbage();
  gc(); // Java's Cleaner drops the references to JS functions held by collected proxies
  await new Promise((r) => setTimeout(r, 50));
  await collectGarbage();
}

async function assertFlat(name: string, round: (i: number) => void, rounds: number): Promise<void> {
  // Warm up with as many rounds as are measured: objects that live until the next GC (handles,
  // their records) raise the high-water mark of the allocators once; what is measured after it
  // is growth that scales with the number of calls, which is a leak.
  for (let i = 0; i < rounds; i++) round(i);
  await settle();
  const refsBefore = liveReferences();
  const rssBefore = process.memoryUsage.rss();
  for (let i = 0; i < rounds; i++) round(i);
  await settle();
  const refsAfter = liveReferences();
  const rssGrowthMiB = (process.memoryUsage.rss() - rssBefore) / (1 << 20);
  assert.ok(refsAfter - refsBefore <= 2, `${name}: live Java references grew from ${refsBefore} to ${refsAfter} over ${rounds} rounds`);
  // plus ASan's quarantine under METAFFI_SANITIZE=address (see sanitize.ts)
  assert.ok(rssGrowthMiB < 40 + sanitizerRssSlackMiB(), `${name}: RSS grew by ${rssGrowthMiB.toFixed(1)} MiB over ${rounds} rounds`);
}

describe('openjdk long runs leak nothing', () => {
  it('a million calls with strings and numbers', async () => {
    const concat = fn('concat', [S, S], [S]);
    const echoLong = fn('echoLong', [I64], [I64]);
    await assertFlat('strings', (i) => {
      assert.equal(concat('abc', 'déf🎉'), 'abcdéf🎉');
      echoLong(i);
    }, 1_000_000);
  });

  it('arrays and any values', async () => {
    const sum = fn('sum', [T.metaffi_int64_array_type], [I64]);
    const upper = fn('upper', [T.metaffi_string8_array_type], [T.metaffi_string8_array_type]);
    const echo = fn('echoObject', [A], [A]);
    const values = Array.from({ length: 100 }, (_, i) => i);
    await assertFlat('arrays', () => {
      sum(values);
      upper(['a', 'b', 'c']);
      echo([1, 'two', null, [3.5]]);
      echo({ k: 'v' });
    }, 200_000);
  });

  it('handles created and dropped', async () => {
    const make = guest.loadEntity('class=guest.Guest,callable=<init>', [S], [H]);
    const greet = guest.loadEntity('class=guest.Guest,callable=greet,instance_required', [H, S], [S]);
    const before = liveReferences();
    await assertFlat('handles', (i) => {
      const g = make('n') as MetaFFIHandle;
      greet(g, 'x');
      if (i % 2 === 0) g.release();
    }, 200_000);
    assert.ok(liveReferences() - before <= 2);
  });

  it('callbacks, functions and errors in both directions', async () => {
    const applyInt = fn('applyInt', [C, I32, I32], [I32]);
    const fail = fn('fail', [S], null);
    const multiplier = fn('multiplier', [I32], [C]);
    await assertFlat('callbacks', (i) => {
      applyInt((a: number, b: number) => a + b, i, 1);
      try { fail('x'); } catch (e) { assert.ok(e instanceof MetaFFIError); }
      try { applyInt(() => { throw new Error('js'); }, 0, 0); } catch (e) { assert.ok(e instanceof MetaFFIError); }
      (multiplier(2) as (a: number, b: number) => number)(i, 1);
    }, 50_000);
  });
});
