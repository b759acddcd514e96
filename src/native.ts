import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { MetaFFIError, type MetaFFIErrorDetails } from './errors.js';
import { bindHandleCore, MetaFFIHandle } from './handle.js';
import { buildCore } from './build/native_build.js';
import { coreAddonPath } from './paths.js';
import type { NativeTypeInfo } from './types.js';

/** An opaque module reference held by the core. */
export type NativeModule = { readonly __nativeModule: unique symbol };

export type PathItem = [string, string | null];

/** The functions of the native core (the Node.js host binding, hosts/node/exports.c). */
export interface NativeCore {
  init(helpers: {
    MetaFFIError: typeof MetaFFIError;
    MetaFFIHandle: typeof MetaFFIHandle;
    pack: typeof pack;
    unpack: typeof unpack;
    toMap: typeof toMap;
    errorDetails?: typeof errorDetails;
  }): void;
  loadLibrary(path: string): void;
  loadPlugin(runtime: number, pluginPath: string, config: string): void;
  freeRuntime(runtime: number): void;
  isLoaded(runtime: number): boolean;
  loadModule(runtime: number, path: string): NativeModule;
  loadEntity(module: NativeModule, name: string, path: PathItem[], params: NativeTypeInfo[],
             rets: NativeTypeInfo[]): ((...args: unknown[]) => unknown) & { async(...args: unknown[]): Promise<unknown> };
  /** The most threads async calls run on; setting it lower keeps threads already started. */
  asyncThreads(n?: number): number;
  releaseHandle(handle: object): void;
  handleInfo(handle: object): { runtime: string; released: boolean; description?: string };
  setCallableTypes(fn: (...args: never[]) => unknown, params: NativeTypeInfo[], rets: NativeTypeInfo[] | null): void;
  liveHandles(runtime: number): number;
  flush(): void;
}

const INT_RANGES: Record<number, [number, number, string]> = {
  4: [-128, 127, 'int8'],
  8: [-32768, 32767, 'int16'],
  16: [-2147483648, 2147483647, 'int32'],
  64: [0, 255, 'uint8'],
  128: [0, 65535, 'uint16'],
  256: [0, 4294967295, 'uint32'],
};

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return typeof v;
}

type TypedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array |
  Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/**
 * Copy a JS array of numbers (or booleans) into `scratch`, a typed array of the element type
 * with room for all of them, checking every element. Returns a message instead when an
 * element does not fit. Called by the core for 1-D numeric array parameters.
 */
export function pack(arr: unknown, code: number, scratch: TypedArray): ArrayBufferView | string {
  if (!Array.isArray(arr) && !ArrayBuffer.isView(arr)) return `expected an array, got ${describe(arr)}`;
  const a = arr as ArrayLike<unknown>;
  const n = a.length;
  switch (code) {
    case 1:
    case 2: {
      const out = scratch as Float64Array | Float32Array;
      for (let i = 0; i < n; i++) {
        const v = a[i];
        if (typeof v !== 'number') return `[${i}]: expected ${code === 1 ? 'float64' : 'float32'} (a number), got ${describe(v)}`;
        out[i] = v;
        if (code === 2 && Number.isFinite(v) && !Number.isFinite(out[i] as number)) {
          return `[${i}]: expected float32, but ${v} is out of its range (+-3.4028234e38)`;
        }
      }
      return out;
    }
    case 1024: {
      const out = scratch as Uint8Array;
      for (let i = 0; i < n; i++) {
        const v = a[i];
        if (typeof v !== 'boolean') return `[${i}]: expected bool (true or false), got ${describe(v)}`;
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 32:
    case 512:
    case 262144: {
      const signed = code === 32;
      const out = scratch as BigInt64Array | BigUint64Array;
      const min = signed ? -(2n ** 63n) : 0n;
      const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
      const name = signed ? 'int64' : code === 512 ? 'uint64' : 'size';
      for (let i = 0; i < n; i++) {
        const v = a[i];
        let b: bigint;
        if (typeof v === 'bigint') b = v;
        else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
        else return `[${i}]: expected ${name} (an integer number or bigint), got ${describe(v)}`;
        if (b < min || b > max) return `[${i}]: expected ${name}, but ${b} is out of its range`;
        out[i] = b;
      }
      return out;
    }
    default: {
      const range = INT_RANGES[code];
      if (!range) return `unsupported packed element type ${code}`;
      const [min, max, name] = range;
      const out = scratch as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
      for (let i = 0; i < n; i++) {
        let v = a[i];
        if (typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(max)) v = Number(v);
        if (typeof v !== 'number' || !Number.isInteger(v)) return `[${i}]: expected ${name} (an integer number), got ${describe(v)}`;
        if (v < min || v > max) return `[${i}]: expected ${name}, but ${v} is out of its range`;
        out[i] = v;
      }
      return out;
    }
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The first n elements of a typed array from a foreign runtime as a plain JS array
 * (64-bit values follow the number-or-bigint rule). */
export function unpack(t: ArrayLike<number | bigint>, n: number, isBool: boolean): unknown[] {
  const out = new Array<unknown>(n);
  if (isBool) {
    for (let i = 0; i < n; i++) out[i] = t[i] !== 0;
  } else if (t instanceof BigInt64Array || t instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const b = t[i] as bigint;
      out[i] = b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = t[i];
  }
  return out;
}

/** A dictionary with keys that are not all strings becomes a Map. */
export function toMap(flat: unknown[]): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i], flat[i + 1]);
  return m;
}

/**
 * The details of a MetaFFIError the core throws for a failed foreign call: one call with the
 * values as arguments costs the core far less than filling an object property by property
 * through Node-API. The core then constructs the error itself, so its stack starts at the
 * caller of the foreign function.
 */
export function errorDetails(runtime: string, foreignType: string | undefined, foreignMessage: string,
                             foreignStack: string | undefined, cause: unknown): MetaFFIErrorDetails {
  const details: MetaFFIErrorDetails = { runtime, foreignMessage, cause };
  if (foreignType !== undefined) details.foreignType = foreignType;
  if (foreignStack !== undefined) details.foreignStack = foreignStack;
  return details;
}

let core: NativeCore | undefined;

/** The native core, loaded (and built from source if it is missing) on first use. */
export function nativeCore(): NativeCore {
  if (core) return core;
  const path = coreAddonPath();
  if (!existsSync(path)) {
    try {
      buildCore();
    } catch (e) {
      throw new MetaFFIError(`the metaffi native core is not built and building it failed: ${(e as Error).message}\n` +
        'Run `npm rebuild metaffi` (needs a C compiler).');
    }
  }
  const require = createRequire(import.meta.url);
  const loaded = require(path) as NativeCore;
  loaded.init({ MetaFFIError, MetaFFIHandle, pack, unpack, toMap, errorDetails });
  bindHandleCore(loaded);
  // Foreign runtimes buffer output (Python's sys.stdout): flush it even on process.exit().
  // (A Worker's environment shares the runtimes; the main thread's exit flushes them.)
  if (isMainThread) process.on('exit', () => loaded.flush());
  core = loaded;
  return core;
}
