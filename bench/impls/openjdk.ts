/** The openjdk group: the JNI limit addon, metaffi, node-java (`java`) and java-bridge. */
import { createRequire } from 'node:module';
import { STRING40, floats, type CellOrReason, type Impl, type Prepared, type SetupInfo } from '../common.js';
import { is, isBenchError, isString40, isSum, isUndefinedOrNull, thrown } from './check.js';
import { asyncCells, metaffiAsyncCells, metaffiCells, type MetaFFIBenchEntities } from './cells.js';
import { peerRequire } from './peers.js';
import { peerVersion } from './python3.js';

function classes(setup: { javaClasses?: string; missing: Record<string, string> }): string {
  if (!setup.javaClasses) throw new Error(setup.missing['java-classes'] ?? 'the Java bench classes were not compiled');
  return setup.javaClasses;
}

const limit: Impl = {
  runtime: 'openjdk',
  name: 'limit',
  kind: 'limit',
  async prepare(setup): Promise<Prepared> {
    const path = setup.limits.openjdk;
    if (!path) throw new Error(setup.missing['limit:openjdk'] ?? 'the JNI limit addon was not built');
    const require = createRequire(import.meta.url);
    const L = require(path);
    const version = L.init(classes(setup)) as string;
    return {
      info: `${version} (${setup.javaHome}), static methods called directly`,
      cells: {
        void: { op: () => L.noop(), check: isUndefinedOrNull },
        int64: { op: () => L.echoInt64(123456789), check: is(123456789) },
        string: { op: () => L.echoString(STRING40), check: isString40 },
      },
    };
  },
};

/** The bench classes' entities through metaffi, and the JS callback of the callback scenario. */
async function metaffiEntities(setup: SetupInfo): Promise<{ e: MetaFFIBenchEntities; cb: (...args: any[]) => any }> {
  const { MetaFFIRuntime, MetaFFITypes: T, MetaFFITypeInfo, makeMetaFFICallable } = await import('metaffi');
  const runtime = new MetaFFIRuntime('openjdk');
  const mod = runtime.loadModule(classes(setup));
  const B = 'class=bench.Bench,callable=';
  const noop = mod.loadEntity(`${B}noop`, null, null);
  const echoLong = mod.loadEntity(`${B}echo`, [T.metaffi_int64_type], [T.metaffi_int64_type]);
  const echoString = mod.loadEntity(`${B}echo`, [T.metaffi_string8_type], [T.metaffi_string8_type]);
  const sum = mod.loadEntity(`${B}sum`, [T.metaffi_float64_array_type], [T.metaffi_float64_type]);
  const sumPacked = mod.loadEntity(`${B}sum`, [T.metaffi_float64_packed_array_type], [T.metaffi_float64_type]);
  const echoArray = mod.loadEntity(`${B}echo`, [T.metaffi_float64_array_type], [T.metaffi_float64_array_type]);
  const echoPacked = mod.loadEntity(`${B}echo`, [T.metaffi_float64_packed_array_type], [T.metaffi_float64_packed_array_type]);
  const newCounter = mod.loadEntity('class=bench.Counter,callable=<init>', null, [T.metaffi_handle_type]);
  const add = mod.loadEntity('class=bench.Counter,callable=add,instance_required',
    [T.metaffi_handle_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
  const callCallback = mod.loadEntity(`${B}callCallback`,
    [new MetaFFITypeInfo(T.metaffi_callable_type, 'java.util.function.LongUnaryOperator'), T.metaffi_int64_type],
    [T.metaffi_int64_type]);
  const echoAny = mod.loadEntity(`${B}echoAny`, [T.metaffi_any_type], [T.metaffi_any_type]);
  const fail = mod.loadEntity(`${B}fail`, null, null);
  const sleepMs = mod.loadEntity(`${B}sleepMillis`, [T.metaffi_int64_type], null);
  const cb = makeMetaFFICallable((x: number) => x + 1, [T.metaffi_int64_type], [T.metaffi_int64_type]);
  return {
    e: { noop, echoInt64: echoLong, echoString, sumArray: sum, sumPacked, echoArray, echoPacked, newCounter, add,
      callCallback, echoAny, fail, sleepMs },
    cb,
  };
}

const metaffi: Impl = {
  runtime: 'openjdk',
  name: 'metaffi',
  kind: 'metaffi',
  async prepare(setup): Promise<Prepared> {
    const { e, cb } = await metaffiEntities(setup);
    return { info: 'metaffi dynamic calls (loadEntity)', cells: metaffiCells(e, cb) };
  },
};

const metaffiAsync: Impl = {
  runtime: 'openjdk',
  name: 'metaffi-async',
  kind: 'metaffi-async',
  async prepare(setup): Promise<Prepared> {
    const { e } = await metaffiEntities(setup);
    return { info: 'metaffi async calls (f.async(...) of the same entities, on pool threads attached to the JVM)', cells: metaffiAsyncCells(e) };
  },
};

const nodeJava: Impl = {
  runtime: 'openjdk',
  name: 'java',
  kind: 'peer',
  async prepare(setup): Promise<Prepared> {
    const java = peerRequire(setup, 'java');
    java.classpath.push(classes(setup));
    const Bench = java.import('bench.Bench');
    const counter = java.newInstanceSync('bench.Counter');
    const one = java.newLong(1);
    const zero = java.newLong(0);
    const big = java.newLong(123456789);
    const cells: Record<string, CellOrReason> = {};
    for (const n of [10, 100, 1000, 10000]) {
      const arr = floats(n);
      cells[`sum-array-${n}`] = { op: () => Bench.sumSync(java.newArray('double', arr)), check: isSum(n) };
    }
    return {
      info: `node-java (the \`java\` package) ${peerVersion(setup, 'java')}, sync calls`,
      cells: {
        void: { op: () => Bench.noopSync(), check: isUndefinedOrNull },
        int64: { op: () => Bench.echoSync(big), check: is(123456789) },
        string: { op: () => Bench.echoSync(STRING40), check: isString40 },
        ...cells,
        object: { op: () => java.newInstanceSync('bench.Counter').addSync(one), check: is(1) },
        method: { op: () => counter.addSync(zero), check: is(0) },
        error: { op: () => thrown(() => Bench.failSync()), check: isBenchError },
      },
    };
  },
};

const nodeJavaAsync: Impl = {
  runtime: 'openjdk',
  name: 'java-async',
  kind: 'peer-async',
  async prepare(setup): Promise<Prepared> {
    const java = peerRequire(setup, 'java');
    java.classpath.push(classes(setup));
    java.import('bench.Bench');
    // callStaticMethod with a callback (node-java's async form; its promise form is this
    // callback form wrapped by util.promisify), as a promise.
    const call = (method: string, ...args: unknown[]) => new Promise<unknown>((resolve, reject) => {
      java.callStaticMethod('bench.Bench', method, ...args, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r)));
    });
    const longs = new Map<number, unknown>();
    const long = (x: number) => {
      let l = longs.get(x);
      if (l === undefined) longs.set(x, l = java.newLong(x));
      return l;
    };
    return {
      info: `node-java (the \`java\` package) ${peerVersion(setup, 'java')}, async calls (callStaticMethod with a callback)`,
      cells: asyncCells({
        noop: () => call('noop'),
        echoInt64: (x) => call('echo', long(x)),
        sleepMs: (ms) => call('sleepMillis', long(ms)),
      }),
    };
  },
};

const javaBridge: Impl = {
  runtime: 'openjdk',
  name: 'java-bridge',
  kind: 'peer',
  async prepare(setup): Promise<Prepared> {
    const java = peerRequire(setup, 'java-bridge');
    java.ensureJvm({ classpath: [classes(setup)] });
    const Bench = java.importClass('bench.Bench');
    const Counter = java.importClass('bench.Counter');
    const counter = new Counter();
    const cells: Record<string, CellOrReason> = {};
    for (const n of [10, 100, 1000, 10000]) {
      const arr = floats(n);
      cells[`sum-array-${n}`] = { op: () => Bench.sumSync(arr), check: isSum(n) };
    }
    return {
      info: `java-bridge ${peerVersion(setup, 'java-bridge')}, sync calls`,
      cells: {
        void: { op: () => Bench.noopSync(), check: isUndefinedOrNull },
        int64: { op: () => Bench.echoSync(123456789n), check: is(123456789) },
        string: { op: () => Bench.echoSync(STRING40), check: isString40 },
        ...cells,
        object: { op: () => new Counter().addSync(1n), check: is(1) },
        method: { op: () => counter.addSync(0n), check: is(0) },
        callback: { unavailable: 'a Java interface proxy called inside a sync call waits for the JS thread, which is blocked in that call' },
        any: { op: () => Bench.echoAnySync(42), check: is(42) },
        error: { op: () => thrown(() => Bench.failSync()), check: isBenchError },
      },
    };
  },
};

export const openjdkImpls: Impl[] = [limit, metaffi, nodeJava, javaBridge, metaffiAsync, nodeJavaAsync];
