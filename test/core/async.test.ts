/**
 * entity.async(...): the foreign call runs on a pool thread while the event loop turns;
 * values, handles, callbacks and errors are the synchronous call's, in every runtime.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MetaFFIError, MetaFFIHandle, MetaFFIRuntime, MetaFFITypes as T, asyncThreads } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { goGuest } from '../go/guests.js';
import { runScript } from '../support/subprocess.js';
import { sanitizerRssSlackMiB } from '../sanitize.js';

const jdk = new MetaFFIRuntime('openjdk').loadModule('java.base');
const py = new MetaFFIRuntime('python3').loadModule(fixture('python', 'guest.py'));
const pyTime = new MetaFFIRuntime('python3').loadModule('time');
const go = new MetaFFIRuntime('go').loadModule(goGuest('guest'));

describe('async calls', () => {
  it('return what the synchronous call returns, in every runtime', async () => {
    const max = jdk.loadEntity('class=java.lang.Math,callable=max', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    assert.equal(await max.async(3n, 2n ** 62n), 2n ** 62n);
    const multiply = py.loadEntity('callable=multiply', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_float64_type]);
    assert.equal(await multiply.async(3, 4), 12);
    const divmod = py.loadEntity('callable=divmod_pair', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type, T.metaffi_int64_type]);
    assert.deepEqual(await divmod.async(17, 5), divmod(17, 5));
    const words = go.loadEntity('callable=Words', [T.metaffi_string8_type], [T.metaffi_string8_array_type]);
    assert.deepEqual(await words.async(' a bb ccc '), ['a', 'bb', 'ccc']);
    const doubles = go.loadEntity('callable=Doubles', [T.metaffi_float64_array_type], [T.metaffi_float64_array_type]);
    const input = [1.5, 2.5];
    const pending = doubles.async(input);
    input[0] = 100; // converted before the call left the JS thread
    assert.deepEqual(await pending, await doubles.async([1.5, 2.5]));
    const noop = go.loadEntity('callable=NoOp', [], []);
    assert.equal(await noop.async(), undefined);
  });

  it('pass and return handles', async () => {
    const newList = jdk.loadEntity('class=java.util.ArrayList,callable=<init>', [], [T.metaffi_handle_type]);
    const add = jdk.loadEntity('class=java.util.ArrayList,callable=add,instance_required', [T.metaffi_handle_type, T.metaffi_any_type], [T.metaffi_bool_type]);
    const size = jdk.loadEntity('class=java.util.ArrayList,callable=size,instance_required', [T.metaffi_handle_type], [T.metaffi_int32_type]);
    const list = await newList.async();
    assert.ok(list instanceof MetaFFIHandle);
    await Promise.all(['a', 'b', 'c'].map((x) => add.async(list, x)));
    assert.equal(await size.async(list), 3);
    const newPoint = go.loadEntity('callable=NewPoint', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_handle_type]);
    const dist = go.loadEntity('callable=Point.Dist,instance_required', [T.metaffi_handle_type], [T.metaffi_float64_type]);
    assert.equal(await dist.async(await newPoint.async(3, 4)), 25);
  });

  it('run JS callbacks on the JS thread, where synchronous calls work', async () => {
    const newList = jdk.loadEntity('class=java.util.ArrayList,callable=<init>', [], [T.metaffi_handle_type]);
    const add = jdk.loadEntity('class=java.util.ArrayList,callable=add,instance_required', [T.metaffi_handle_type, T.metaffi_any_type], [T.metaffi_bool_type]);
    const size = jdk.loadEntity('class=java.util.ArrayList,callable=size,instance_required', [T.metaffi_handle_type], [T.metaffi_int32_type]);
    const forEach = jdk.loadEntity('class=java.util.ArrayList,callable=forEach,instance_required', [T.metaffi_handle_type, T.metaffi_callable_type], []);
    const list = newList();
    for (const x of ['a', 'b']) add(list, x);
    const seen: string[] = [];
    await forEach.async(list, (x: string) => { seen.push(`${x}${size(list)}`); });
    assert.deepEqual(seen, ['a2', 'b2']);
    const callAsync = go.loadEntity('callable=CallAsync', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    // called from a goroutine: a synchronous call could not run it while the JS thread waits
    assert.equal(await callAsync.async((x: number) => x * 2, 21), 42);
    const inThread = py.loadEntity('callable=call_in_thread', [T.metaffi_callable_type, T.metaffi_any_type], [T.metaffi_any_type]);
    assert.equal(await inThread.async((x: number) => x + 1, 41), 42);
  });

  it('reject with the error the synchronous call throws', async () => {
    const parse = jdk.loadEntity('class=java.lang.Integer,callable=parseInt', [T.metaffi_string8_type], [T.metaffi_int32_type]);
    await assert.rejects(parse.async('zz'), (e: unknown) => e instanceof MetaFFIError && e.foreignType === 'java.lang.NumberFormatException');
    await assert.rejects(parse.async(), TypeError);
    await assert.rejects(parse.async(5), TypeError);
    const divide = go.loadEntity('callable=Divide', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    await assert.rejects(divide.async(1, 0), MetaFFIError);
    const raise = py.loadEntity('callable=raise_value_error', [T.metaffi_string8_type], []);
    await assert.rejects(raise.async('boom'), /boom/);
    const apply = go.loadEntity('callable=Apply', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    const thrown = new RangeError('from the callback');
    await assert.rejects(apply.async(() => { throw thrown; }, 1), (e: unknown) => e instanceof MetaFFIError && e.cause === thrown);
  });

  it('keep the event loop turning during a long call', async () => {
    const sleep = pyTime.loadEntity('callable=sleep', [T.metaffi_float64_type], []);
    const h = monitorEventLoopDelay({ resolution: 1 });
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 5);
    h.enable();
    await sleep.async(0.5);
    h.disable();
    clearInterval(timer);
    assert.ok(ticks >= 20, `the event loop turned only ${ticks} times in 0.5 s`);
    assert.ok(h.percentile(99) < 50e6, `event-loop delay p99 ${h.percentile(99) / 1e6} ms`);
  });

  it('run Java and Go calls in parallel on the pool', async () => {
    assert.ok(asyncThreads() >= 4);
    const sleep = jdk.loadEntity('class=java.lang.Thread,callable=sleep', [T.metaffi_int64_type], []);
    const start = process.hrtime.bigint();
    await Promise.all([1, 2, 3, 4].map(() => sleep.async(200n)));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.ok(ms < 700, `4 parallel 200 ms sleeps took ${ms} ms`); // serial would be 800 ms
  });

  it('take 10,000 calls in flight at once', async () => {
    const add = go.loadEntity('callable=Add', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    const results = await Promise.all(Array.from({ length: 10_000 }, (_, i) => add.async(i, 1)));
    assert.equal(results.length, 10_000);
    assert.ok(results.every((r, i) => r === i + 1));
  });

  it('refuse to release a runtime with calls in flight, and reject calls after release', () => {
    const r = runScript('async-release', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const rt = new MetaFFIRuntime('openjdk');
      const m = rt.loadModule('java.base');
      const sleep = m.loadEntity('class=java.lang.Thread,callable=sleep', [T.metaffi_int64_type], []);
      const pending = sleep.async(200n);
      try { rt.releaseRuntimePlugin(); console.log('released?'); } catch (e) { console.log('refused:', e.message); }
      await pending;
      rt.releaseRuntimePlugin();
      try { await sleep.async(1n); } catch (e) { console.log('rejected:', e.message); }
      process.on('unhandledRejection', (e) => console.log('unhandled:', e.constructor.name));
      sleep.async(1n); // nobody awaits it
      await new Promise((r) => setTimeout(r, 100));
      console.log('alive');
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /refused: the openjdk runtime cannot be released while 1 async call into it is running/);
    assert.match(r.stdout, /rejected: .*the openjdk runtime was released/);
    assert.match(r.stdout, /unhandled: MetaFFIError\nalive/);
  });

  it('keep a pending call alive until it settles (the process does not exit early)', () => {
    const r = runScript('async-pending', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('python3').loadModule('time');
      const sleep = m.loadEntity('callable=sleep', [T.metaffi_float64_type], []);
      sleep.async(0.3).then(() => console.log('settled'));
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /settled/);
  });

  it('keep RSS flat over 100,000 async calls with strings, handles and callbacks (in a child process)', () => {
    const r = runScript('async-memory', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const go = new MetaFFIRuntime('go').loadModule(${JSON.stringify(goGuest('guest'))});
      const echo = go.loadEntity('callable=EchoString', [T.metaffi_string8_type], [T.metaffi_string8_type]);
      const point = go.loadEntity('callable=NewPoint', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_handle_type]);
      const apply = go.loadEntity('callable=Apply', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
      async function batch(n, base) {
        const all = [];
        for (let i = 0; i < n; i++) {
          const k = base + i;
          all.push(k % 3 === 0 ? echo.async('abc' + (k & 7)) : k % 3 === 1 ? point.async(k, 1) : apply.async((x) => x + 1, k));
        }
        await Promise.all(all);
      }
      for (let i = 0; i < 20; i++) await batch(1000, i * 1000); // warm up
      global.gc?.();
      const before = process.memoryUsage.rss();
      for (let i = 0; i < 100; i++) await batch(1000, i * 1000);
      global.gc?.();
      console.log(JSON.stringify({ growthMiB: (process.memoryUsage.rss() - before) / 1048576 }));
    `);
    assert.equal(r.status, 0, r.stderr);
    const { growthMiB } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { growthMiB: number };
    // plus ASan's quarantine under METAFFI_SANITIZE=address, as for the other RSS tests
    const allowance = 16 + 3 + sanitizerRssSlackMiB();
    assert.ok(growthMiB < allowance, `RSS grew by ${growthMiB.toFixed(1)} MiB over 100,000 async calls`);
  });
});
