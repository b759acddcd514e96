/** The python3 group: the limit addon, metaffi, node-calls-python and pythonia. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ARRAY_SIZES, STRING40, fixtures, floats, type CellOrReason, type Impl, type Prepared } from '../common.js';
import { is, isBenchError, isFloats, isString40, isSum, isUndefinedOrNull, thrown, thrownAsync } from './check.js';
import { arrayCells, asyncCells, metaffiAsyncCells, metaffiCells, type MetaFFIBenchEntities } from './cells.js';
import { peerRequire } from './peers.js';

const moduleFolder = join(fixtures, 'python');
const modulePath = join(moduleFolder, 'bench_mod.py');

/* The limit's plain-Array cells copy the numbers into a reused Float64Array in JS and call the
 * typed-array entry (and copy an echo back into an Array): faster than reading elements one by
 * one through Node-API, so the floor is the better of the two hand-written ways. */
let scratch = new Float64Array(16);
function toScratch(a: number[] | Float64Array): Float64Array {
  if (scratch.length < a.length) scratch = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) scratch[i] = a[i]!;
  return scratch.subarray(0, a.length);
}
function fromTyped(t: Float64Array): number[] {
  const out = new Array<number>(t.length);
  for (let i = 0; i < t.length; i++) out[i] = t[i]!;
  return out;
}

const limit: Impl = {
  runtime: 'python3',
  name: 'limit',
  kind: 'limit',
  async prepare(setup): Promise<Prepared> {
    const path = setup.limits.python3;
    if (!path || !setup.python) throw new Error(setup.missing['limit:python3'] ?? 'the python3 limit addon was not built');
    const require = createRequire(import.meta.url);
    const L = require(path);
    const version = L.init(setup.python.executable, moduleFolder) as string;
    const counter = L.counterNew();
    const cb = (x: number) => x + 1;
    return {
      info: `CPython ${version}, C API called directly; its Array cells copy through a reused Float64Array in JS`,
      cells: {
        void: { op: () => L.noop(), check: isUndefinedOrNull },
        int64: { op: () => L.echoInt64(123456789), check: is(123456789) },
        string: { op: () => L.echoString(STRING40), check: isString40 },
        ...arrayCells({ sum: (a) => L.sumFloats(toScratch(a)), echo: (a) => fromTyped(L.echoFloats(toScratch(a))) },
          { sum: (a) => L.sumFloats(a), echo: (a) => L.echoFloats(a) }),
        object: {
          op: () => {
            const c = L.counterNew();
            const r = L.counterAdd(c, 1);
            L.release(c);
            return r;
          },
          check: is(1),
        },
        method: { op: () => L.counterAdd(counter, 0), check: is(0) },
        callback: { op: () => L.callCallback(cb, 41), check: is(42) },
        any: { op: () => L.echoAny(42), check: is(42) },
        error: { op: () => thrown(() => L.fail()), check: isBenchError },
      },
    };
  },
};

/** The bench module's entities through metaffi, and the JS callback of the callback scenario. */
async function metaffiEntities(): Promise<{ e: MetaFFIBenchEntities; cb: (...args: any[]) => any }> {
  const { MetaFFIRuntime, MetaFFITypes: T, makeMetaFFICallable } = await import('metaffi');
  const runtime = new MetaFFIRuntime('python3');
  const mod = runtime.loadModule(modulePath);
  const noop = mod.loadEntity('callable=noop', null, null);
  const echoInt64 = mod.loadEntity('callable=echo_int64', [T.metaffi_int64_type], [T.metaffi_int64_type]);
  const echoString = mod.loadEntity('callable=echo_string', [T.metaffi_string8_type], [T.metaffi_string8_type]);
  const sumArray = mod.loadEntity('callable=sum_floats', [T.metaffi_float64_array_type], [T.metaffi_float64_type]);
  const sumPacked = mod.loadEntity('callable=sum_floats', [T.metaffi_float64_packed_array_type], [T.metaffi_float64_type]);
  const echoArray = mod.loadEntity('callable=echo_floats', [T.metaffi_float64_array_type], [T.metaffi_float64_array_type]);
  const echoPacked = mod.loadEntity('callable=echo_floats', [T.metaffi_float64_packed_array_type],
    [T.metaffi_float64_packed_array_type]);
  const newCounter = mod.loadEntity('callable=Counter', null, [T.metaffi_handle_type]);
  const add = mod.loadEntity('callable=Counter.add,instance_required', [T.metaffi_handle_type, T.metaffi_int64_type],
    [T.metaffi_int64_type]);
  const callCallback = mod.loadEntity('callable=call_callback', [T.metaffi_callable_type, T.metaffi_int64_type],
    [T.metaffi_int64_type]);
  const echoAny = mod.loadEntity('callable=echo_any', [T.metaffi_any_type], [T.metaffi_any_type]);
  const fail = mod.loadEntity('callable=fail', null, null);
  const sleepMs = mod.loadEntity('callable=sleep_ms', [T.metaffi_int64_type], null);
  const cb = makeMetaFFICallable((x: number) => x + 1, [T.metaffi_int64_type], [T.metaffi_int64_type]);
  return {
    e: { noop, echoInt64, echoString, sumArray, sumPacked, echoArray, echoPacked, newCounter, add, callCallback, echoAny,
      fail, sleepMs },
    cb,
  };
}

const metaffi: Impl = {
  runtime: 'python3',
  name: 'metaffi',
  kind: 'metaffi',
  async prepare(): Promise<Prepared> {
    const { e, cb } = await metaffiEntities();
    return { info: 'metaffi dynamic calls (loadEntity)', cells: metaffiCells(e, cb) };
  },
};

const metaffiAsync: Impl = {
  runtime: 'python3',
  name: 'metaffi-async',
  kind: 'metaffi-async',
  async prepare(): Promise<Prepared> {
    const { e } = await metaffiEntities();
    return { info: 'metaffi async calls (f.async(...) of the same entities; a pool thread takes the GIL for the call)', cells: metaffiAsyncCells(e) };
  },
};

const nodeCallsPython: Impl = {
  runtime: 'python3',
  name: 'node-calls-python',
  kind: 'peer',
  async prepare(setup): Promise<Prepared> {
    const py = peerRequire(setup, 'node-calls-python').interpreter;
    const m = py.importSync(modulePath, false);
    const counter = py.createSync(m, 'Counter');
    const cb = (x: number) => x + 1;
    const version = py.evalSync(m, '__import__("sys").version.split()[0]');
    return {
      info: `node-calls-python ${peerVersion(setup, 'node-calls-python')}, CPython ${version}`,
      cells: {
        void: { op: () => py.callSync(m, 'noop'), check: isUndefinedOrNull },
        int64: { op: () => py.callSync(m, 'echo_int64', 123456789), check: is(123456789) },
        string: { op: () => py.callSync(m, 'echo_string', STRING40), check: isString40 },
        ...arrayCells({ sum: (a) => py.callSync(m, 'sum_floats', a), echo: (a) => py.callSync(m, 'echo_floats', a) },
          'a Float64Array arrives in Python as bytes, not as floats'),
        object: {
          op: () => py.callSync(py.createSync(m, 'Counter'), 'add', 1),
          check: is(1),
        },
        method: { op: () => py.callSync(counter, 'add', 0), check: is(0) },
        callback: { op: () => py.callSync(m, 'call_callback', cb, 41), check: is(42) },
        any: { op: () => py.callSync(m, 'echo_any', 42), check: is(42) },
        error: { op: () => thrown(() => py.callSync(m, 'fail')), check: isBenchError },
      },
    };
  },
};

const nodeCallsPythonAsync: Impl = {
  runtime: 'python3',
  name: 'node-calls-python-async',
  kind: 'peer-async',
  async prepare(setup): Promise<Prepared> {
    const py = peerRequire(setup, 'node-calls-python').interpreter;
    const m = py.importSync(modulePath, false);
    return {
      info: `node-calls-python ${peerVersion(setup, 'node-calls-python')}, async calls (py.call, a promise)`,
      cells: asyncCells({
        noop: () => py.call(m, 'noop'),
        echoInt64: (x) => py.call(m, 'echo_int64', x),
        sleepMs: (ms) => py.call(m, 'sleep_ms', ms),
      }),
    };
  },
};

const pythonia: Impl = {
  runtime: 'python3',
  name: 'pythonia',
  kind: 'peer',
  async prepare(setup): Promise<Prepared> {
    if (setup.python) process.env.PYTHON_BIN = setup.python.executable;
    const { python } = peerRequire(setup, 'pythonia');
    const m = await python(modulePath);
    const counter = await m.Counter();
    const cb = (x: number) => x + 1;
    const plain = async (f: () => Promise<any>) => (await f()).valueOf();
    const cells: Record<string, CellOrReason> = {};
    for (const n of ARRAY_SIZES) {
      const arr = floats(n);
      cells[`sum-array-${n}`] = { aop: () => m.sum_floats(arr), check: isSum(n) };
      cells[`echo-array-${n}`] = { aop: () => plain(() => m.echo_floats(arr)), check: isFloats(n, false) };
      // A Float64Array goes to Python as a reference to the JS object: every element Python
      // reads is a round trip over the pipe.
      const f64 = Float64Array.from(arr);
      cells[`sum-f64-${n}`] = n <= 100 ? { aop: () => m.sum_floats(f64), check: isSum(n) }
        : { unavailable: 'not measured: Python reads a Float64Array element by element over the pipe (about 2 ms per 10 elements)' };
      cells[`echo-f64-${n}`] = { unavailable: 'a Float64Array goes to Python as a reference to the JS object, so an echo returns that reference, not the values' };
    }
    return {
      info: `pythonia ${peerVersion(setup, 'pythonia')} (a Python subprocess, async calls over a pipe)`,
      cells: {
        void: { aop: () => m.noop(), check: isUndefinedOrNull },
        int64: { aop: () => m.echo_int64(123456789), check: is(123456789) },
        string: { aop: () => m.echo_string(STRING40), check: isString40 },
        ...cells,
        object: { aop: async () => (await m.Counter()).add(1), check: is(1) },
        method: { aop: () => counter.add(0), check: is(0) },
        callback: { aop: () => m.call_callback(cb, 41), check: is(42) },
        any: { aop: () => m.echo_any(42), check: is(42) },
        error: { aop: () => thrownAsync(() => m.fail()), check: (r) => (r instanceof Error ? null : `expected an Error, got ${String(r)}`) },
      },
      close: () => python.exit(),
    };
  },
};

export function peerVersion(setup: { peersDir: string }, name: string): string {
  try {
    const file = join(setup.peersDir, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export const python3Impls: Impl[] = [limit, metaffi, nodeCallsPython, pythonia, metaffiAsync, nodeCallsPythonAsync];
