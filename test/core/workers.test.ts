/**
 * worker_threads: every Node.js environment loads runtimes, modules and entities and calls
 * them (sync and async); handles and lent functions belong to the environment that made them;
 * a Worker that exits or is terminated releases what it held; the runtimes stay for the process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture } from '../support/fixtures.js';
import { goGuest } from '../go/guests.js';
import { runScript } from '../support/subprocess.js';

const goLib = goGuest('guest');
const pyGuest = fixture('python', 'guest.py');

const common = `
  import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
  import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIHandle } from 'metaffi';
  const jdk = new MetaFFIRuntime('openjdk').loadModule('java.base');
  const py = new MetaFFIRuntime('python3').loadModule(${JSON.stringify(pyGuest)});
  const go = new MetaFFIRuntime('go').loadModule(${JSON.stringify(goLib)});
  const max = jdk.loadEntity('class=java.lang.Math,callable=max', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
  const newList = jdk.loadEntity('class=java.util.ArrayList,callable=<init>', [], [T.metaffi_handle_type]);
  const add = jdk.loadEntity('class=java.util.ArrayList,callable=add,instance_required', [T.metaffi_handle_type, T.metaffi_any_type], [T.metaffi_bool_type]);
  const size = jdk.loadEntity('class=java.util.ArrayList,callable=size,instance_required', [T.metaffi_handle_type], [T.metaffi_int32_type]);
  const forEach = jdk.loadEntity('class=java.util.ArrayList,callable=forEach,instance_required', [T.metaffi_handle_type, T.metaffi_callable_type], []);
  const sleep = jdk.loadEntity('class=java.lang.Thread,callable=sleep', [T.metaffi_int64_type], []);
  const multiply = py.loadEntity('callable=multiply', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_float64_type]);
  const callTwice = py.loadEntity('callable=call_twice', [T.metaffi_callable_type, T.metaffi_any_type], [T.metaffi_any_type]);
  const apply = go.loadEntity('callable=Apply', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
  const newPoint = go.loadEntity('callable=NewPoint', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_handle_type]);
  const dist = go.loadEntity('callable=Point.Dist,instance_required', [T.metaffi_handle_type], [T.metaffi_float64_type]);
  function work(id) {
    let sum = 0;
    for (let k = 0; k < 2000; k++) {
      sum += Number(max(k, id)) + multiply(k, 2) + Number(apply((x) => x + 1, k));
      const list = newList();
      add(list, 'x');
      let seen = 0;
      forEach(list, () => { seen++; });
      sum += size(list) + seen + dist(newPoint(3, 4)) + callTwice((x) => x * 2, 1);
    }
    return sum;
  }
  const expected = (id) => { let s = 0; for (let k = 0; k < 2000; k++) s += Math.max(k, id) + 2 * k + k + 1 + 1 + 1 + 25 + 4; return s; };
  function start(data) {
    const w = new Worker(new URL(import.meta.url), { workerData: data });
    const messages = [];
    w.on('message', (m) => messages.push(m));
    const exit = new Promise((ok, bad) => { w.on('exit', ok); w.on('error', bad); });
    return { w, messages, exit };
  }
`;

describe('worker_threads', () => {
  it('several Workers call Python, Java and Go at once, sync and async, while the main thread does too', () => {
    const r = runScript('workers-many', `${common}
      if (isMainThread) {
        const workers = [1, 2, 3, 4].map((id) => start(id));
        const mine = work(0);
        const codes = await Promise.all(workers.map((x) => x.exit));
        console.log('codes', codes.join(','));
        console.log('main', mine === expected(0));
        for (const x of workers) console.log(JSON.stringify(x.messages[0]));
      } else {
        const id = workerData;
        const sync = work(id);
        const asyncResults = await Promise.all([max.async(id, 100), multiply.async(id, 2), apply.async((x) => x * 3, id),
          callTwice.async((x) => x + 1, id), dist.async(newPoint(6, 8))]);
        parentPort.postMessage({ id, sync: sync === expected(id), async: asyncResults.map(Number) });
      }
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /codes 0,0,0,0/);
    assert.match(r.stdout, /main true/);
    for (const id of [1, 2, 3, 4]) {
      assert.match(r.stdout, new RegExp(`\\{"id":${id},"sync":true,"async":\\[100,${2 * id},${3 * id},${id + 2},100\\]\\}`));
    }
  });

  it('a handle posted to another environment is refused with a clear error, not a crash', () => {
    const r = runScript('workers-handle', `${common}
      if (isMainThread) {
        const list = newList();
        const x = start('handle');
        x.w.postMessage({ list });
        await x.exit;
        console.log('from worker:', x.messages[0]);
        console.log('main still', size(list));
      } else {
        parentPort.once('message', ({ list }) => {
          console.log('received a MetaFFIHandle?', list instanceof MetaFFIHandle);
          try { size(list); parentPort.postMessage('no error'); } catch (e) { parentPort.postMessage(e.name + ': ' + e.message); }
          parentPort.close();
        });
      }
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /received a MetaFFIHandle\? false/);
    assert.match(r.stdout, /from worker: (TypeError|MetaFFIError): .*handle/);
    assert.match(r.stdout, /main still 0/);
  });

  it('a Worker terminated during calls releases what it held; the runtimes go on', () => {
    const r = runScript('workers-terminate', `${common}
      if (isMainThread) {
        for (let k = 0; k < 4; k++) {
          const x = start('busy');
          await new Promise((r) => setTimeout(r, 150));
          await x.w.terminate();
        }
        await new Promise((r) => setTimeout(r, 700)); // the terminated Workers' async sleeps end
        console.log('main works', work(0) === expected(0), await apply.async((x) => x + 1, 1));
        const rt = new MetaFFIRuntime('openjdk');
        rt.loadRuntimePlugin();
        rt.releaseRuntimePlugin(); // no async call of the terminated Workers is counted any more
        console.log('released');
      } else {
        const keep = [];
        for (let k = 0; k < 100; k++) keep.push(newList(), newPoint(1, 2));
        sleep.async(500);
        for (;;) work(1); // until terminated
      }
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /main works true 2/);
    assert.match(r.stdout, /released/);
  });

  it('a JS function lent to Java by a Worker is a clear error in another environment', () => {
    const r = runScript('workers-lent', `${common}
      const props = jdk.loadEntity('class=java.lang.System,callable=getProperties', [], [T.metaffi_handle_type]);
      const put = jdk.loadEntity('class=java.util.Hashtable,callable=put,instance_required', [T.metaffi_handle_type, T.metaffi_any_type, T.metaffi_callable_type], [T.metaffi_any_type]);
      const get = jdk.loadEntity('class=java.util.Hashtable,callable=get,instance_required', [T.metaffi_handle_type, T.metaffi_any_type], [T.metaffi_any_type]);
      if (isMainThread) {
        const x = start('lend');
        await x.exit;
        console.log('worker:', x.messages[0]);
        try { get(props(), 'metaffi.test.fn'); console.log('no error'); } catch (e) { console.log('main:', e.message); }
        console.log('main works', size(newList()));
      } else {
        const fn = (v) => v + 1;
        put(props(), 'metaffi.test.fn', fn);
        parentPort.postMessage(get(props(), 'metaffi.test.fn') === fn ? 'same function back' : 'another value');
      }
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /worker: same function back/);
    assert.match(r.stdout, /main: a foreign runtime returned a JS function of another Node\.js environment/);
    assert.match(r.stdout, /main works 0/);
  });
});
