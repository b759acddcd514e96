/** The go group: the cgo limit addon, metaffi (a compiled Go guest) and koffi. */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { STRING40, type Impl, type Prepared, type SetupInfo } from '../common.js';
import { is, isString40, isUndefinedOrNull } from './check.js';
import { metaffiAsyncCells, metaffiCells, type MetaFFIBenchEntities } from './cells.js';
import { peerRequire } from './peers.js';
import { peerVersion } from './python3.js';

function cshared(setup: SetupInfo): string {
  if (!setup.goCShared) throw new Error(setup.missing['go-cshared'] ?? 'the c-shared Go library was not built');
  return setup.goCShared;
}

const limit: Impl = {
  runtime: 'go',
  name: 'limit',
  kind: 'limit',
  async prepare(setup): Promise<Prepared> {
    const path = setup.limits.go;
    if (!path) throw new Error(setup.missing['limit:go'] ?? 'the cgo limit addon was not built');
    const require = createRequire(import.meta.url);
    const L = require(path);
    L.init(cshared(setup));
    return {
      info: 'exported cgo functions of a c-shared library, called directly',
      cells: {
        void: { op: () => L.noop(), check: isUndefinedOrNull },
        int64: { op: () => L.echoInt64(123456789), check: is(123456789) },
        string: { op: () => L.echoString(STRING40), check: isString40 },
      },
    };
  },
};

/** The Go guest's entities through metaffi, and the JS callback of the callback scenario. */
async function metaffiEntities(setup: SetupInfo): Promise<{ e: MetaFFIBenchEntities; cb: (...args: any[]) => any }> {
  const { MetaFFIRuntime, MetaFFITypes: T, makeMetaFFICallable } = await import('metaffi');
  const runtime = new MetaFFIRuntime('go');
  if (!setup.goGuestDir) throw new Error(setup.missing['go-guest'] ?? 'the Go guest was not compiled');
  const mod = runtime.loadModule(join(setup.goGuestDir, 'bench_MetaFFIGuest'));
  const noop = mod.loadEntity('callable=Noop', null, null);
  const echoInt64 = mod.loadEntity('callable=EchoInt64', [T.metaffi_int64_type], [T.metaffi_int64_type]);
  const echoString = mod.loadEntity('callable=EchoString', [T.metaffi_string8_type], [T.metaffi_string8_type]);
  const sum = mod.loadEntity('callable=SumFloat64', [T.metaffi_float64_array_type], [T.metaffi_float64_type]);
  const sumPacked = mod.loadEntity('callable=SumFloat64', [T.metaffi_float64_packed_array_type], [T.metaffi_float64_type]);
  const echoArray = mod.loadEntity('callable=EchoFloat64', [T.metaffi_float64_array_type], [T.metaffi_float64_array_type]);
  const echoPacked = mod.loadEntity('callable=EchoFloat64', [T.metaffi_float64_packed_array_type],
    [T.metaffi_float64_packed_array_type]);
  const newCounter = mod.loadEntity('callable=NewCounter', null, [T.metaffi_handle_type]);
  const add = mod.loadEntity('callable=Counter.Add,instance_required', [T.metaffi_handle_type, T.metaffi_int64_type],
    [T.metaffi_int64_type]);
  const callCallback = mod.loadEntity('callable=CallCallback', [T.metaffi_callable_type, T.metaffi_int64_type],
    [T.metaffi_int64_type]);
  const echoAny = mod.loadEntity('callable=EchoAny', [T.metaffi_any_type], [T.metaffi_any_type]);
  const fail = mod.loadEntity('callable=Fail', null, null);
  const sleepMs = mod.loadEntity('callable=SleepMillis', [T.metaffi_int64_type], null);
  const cb = makeMetaFFICallable((x: number) => x + 1, [T.metaffi_int64_type], [T.metaffi_int64_type]);
  return {
    e: { noop, echoInt64, echoString, sumArray: sum, sumPacked, echoArray, echoPacked, newCounter, add, callCallback,
      echoAny, fail, sleepMs },
    cb,
  };
}

const metaffi: Impl = {
  runtime: 'go',
  name: 'metaffi',
  kind: 'metaffi',
  async prepare(setup): Promise<Prepared> {
    const { e, cb } = await metaffiEntities(setup);
    return { info: 'metaffi dynamic calls (loadEntity) on a compiled Go guest', cells: metaffiCells(e, cb) };
  },
};

const metaffiAsync: Impl = {
  runtime: 'go',
  name: 'metaffi-async',
  kind: 'metaffi-async',
  async prepare(setup): Promise<Prepared> {
    const { e } = await metaffiEntities(setup);
    return { info: 'metaffi async calls (f.async(...) of the same entities) on the compiled Go guest', cells: metaffiAsyncCells(e) };
  },
};

const koffi: Impl = {
  runtime: 'go',
  name: 'koffi',
  kind: 'peer',
  async prepare(setup): Promise<Prepared> {
    const k = peerRequire(setup, 'koffi');
    const lib = k.load(cshared(setup));
    const noop = lib.func('void Noop()');
    const echoInt64 = lib.func('int64_t EchoInt64(int64_t)');
    const echoString = lib.func('int EchoString(const char *p, int n, _Out_ uint8_t *out, int cap)');
    const out = Buffer.alloc(256);
    return {
      info: `koffi ${peerVersion(setup, 'koffi')} on the same c-shared library as the limit (each call opens ` +
        '/proc/self/maps: Go re-reads the calling thread\'s stack bounds, koffi calling from a stack of its own)',
      cells: {
        void: { op: () => noop(), check: isUndefinedOrNull },
        int64: { op: () => echoInt64(123456789), check: is(123456789) },
        string: {
          op: () => {
            const n = echoString(STRING40, Buffer.byteLength(STRING40), out, out.length) as number;
            return out.toString('utf8', 0, n);
          },
          check: isString40,
        },
      },
    };
  },
};

export const goImpls: Impl[] = [limit, metaffi, koffi, metaffiAsync];
