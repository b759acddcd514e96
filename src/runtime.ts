import { parseEntityPath } from './entity_path.js';
import { MetaFFIError } from './errors.js';
import { nativeCore, type NativeModule } from './native.js';
import type { RuntimeAdapter } from './runtimes/adapter.js';
import { findRuntime } from './runtimes/index.js';
import { normalizeTypes, rejectNul, type MetaFFITypeSpec } from './types.js';

/** A loaded foreign entity: call it like a function. Returns undefined for no return
 * values, the value for one, an array for several. */
/**
 * An entity loaded by loadEntity: a plain JS function (one crossing into the runtime per
 * call), plus `async`, the same call made on a thread of metaffi's pool.
 */
export interface MetaFFICallable {
  (...args: any[]): any;
  /**
   * The same call without blocking the event loop: the arguments are converted now, the
   * foreign call runs on a pool thread (METAFFI_THREADS, or setAsyncThreads), and the promise
   * resolves with what the synchronous call returns, or rejects with the error it throws.
   * JS callbacks made by the foreign code meanwhile run on the JS thread.
   */
  async(...args: any[]): Promise<any>;
}

export type MetaFFITypeList = readonly MetaFFITypeSpec[] | null | undefined;

type State = 'new' | 'loaded' | 'released';

/** A foreign runtime in this process: 'python3', 'openjdk' (alias 'jvm') or 'go'. */
export class MetaFFIRuntime {
  /** The canonical runtime name. */
  readonly runtimePlugin: string;
  readonly #adapter: RuntimeAdapter;
  #state: State = 'new';

  constructor(runtimePlugin: string) {
    this.#adapter = findRuntime(runtimePlugin);
    this.runtimePlugin = this.#adapter.name;
  }

  /** Load the runtime into the process. Calling it again does nothing. */
  loadRuntimePlugin(): void {
    const core = nativeCore();
    if (!core.isLoaded(this.#adapter.id)) {
      const launch = this.#adapter.launch();
      for (const lib of launch.libraries) core.loadLibrary(lib);
      core.loadPlugin(this.#adapter.id, launch.plugin, launch.config);
    }
    this.#state = 'loaded';
  }

  /**
   * Release the runtime: every module, entity and handle of it stops working (calls fail
   * with a MetaFFIError). The interpreter or VM itself stays in the process, since neither
   * CPython nor a JVM can be unloaded safely; loadRuntimePlugin() makes it usable again.
   * While async calls into the runtime are running it throws and releases nothing: await
   * them first.
   */
  releaseRuntimePlugin(): void {
    if (this.#state === 'released') {
      throw new MetaFFIError(`the ${this.runtimePlugin} runtime was already released by this MetaFFIRuntime`);
    }
    if (this.#state === 'new') {
      throw new MetaFFIError(`the ${this.runtimePlugin} runtime was never loaded by this MetaFFIRuntime; nothing to release`);
    }
    const core = nativeCore();
    try {
      core.freeRuntime(this.#adapter.id);
    } finally {
      // refused (async calls running): still loaded; failed while stopping: released all the same
      if (!core.isLoaded(this.#adapter.id)) this.#state = 'released';
    }
  }

  /** Load a module of this runtime (loads the runtime first if needed). */
  loadModule(modulePath: string): MetaFFIModule {
    if (typeof modulePath !== 'string' || modulePath.trim() === '') {
      throw new TypeError(`module path must be a non-empty string, got ${typeof modulePath === 'string' ? 'an empty string' : typeof modulePath}`);
    }
    rejectNul(modulePath, `module path ${JSON.stringify(modulePath)}`);
    this.#checkUsable();
    if (this.#state === 'new') this.loadRuntimePlugin();
    const core = nativeCore();
    const native = core.loadModule(this.#adapter.id, this.#adapter.modulePath(modulePath));
    return new MetaFFIModule(this, this.#adapter, modulePath, native);
  }

  /** @internal */
  checkUsable(): void {
    this.#checkUsable();
  }

  #checkUsable(): void {
    if (this.#state === 'released') {
      throw new MetaFFIError(`the ${this.runtimePlugin} runtime was released; call loadRuntimePlugin() to load it again`);
    }
    if (this.#state === 'loaded' && !nativeCore().isLoaded(this.#adapter.id)) {
      throw new MetaFFIError(`the ${this.runtimePlugin} runtime was released by another MetaFFIRuntime; ` +
        'call loadRuntimePlugin() to load it again');
    }
  }
}

/** A module of a foreign runtime: a Python module, a set of jars, a Go guest library. */
export class MetaFFIModule {
  readonly runtime: MetaFFIRuntime;
  readonly modulePath: string;
  readonly #adapter: RuntimeAdapter;
  readonly #native: NativeModule;

  /** @internal Made by MetaFFIRuntime.loadModule. */
  constructor(runtime: MetaFFIRuntime, adapter: RuntimeAdapter, modulePath: string, native: NativeModule) {
    this.runtime = runtime;
    this.#adapter = adapter;
    this.modulePath = modulePath;
    this.#native = native;
  }

  /**
   * Load an entity by its entity path (e.g. 'callable=multiply') with its parameter and
   * return types. The result is a plain function; types are resolved once, here.
   */
  loadEntity(entityPath: string, paramTypes?: MetaFFITypeList, retvalTypes?: MetaFFITypeList): MetaFFICallable {
    this.runtime.checkUsable();
    const items = parseEntityPath(entityPath, this.#adapter.entityPath);
    const params = normalizeTypes(paramTypes, 'parameter');
    const rets = normalizeTypes(retvalTypes, 'return value');
    return nativeCore().loadEntity(this.#native, this.#adapter.entityName(items), items, params, rets);
  }

  /** The same as loadEntity. */
  load(entityPath: string, paramTypes?: MetaFFITypeList, retvalTypes?: MetaFFITypeList): MetaFFICallable {
    return this.loadEntity(entityPath, paramTypes, retvalTypes);
  }
}

/**
 * The most threads `.async` calls run on at once (default: the METAFFI_THREADS variable, or
 * the number of CPUs with at least 4). Calls beyond it wait for a free thread. With `n`, sets it
 * first (1 to 256); lowering it keeps threads already started. Returns the value in force.
 */
export function asyncThreads(n?: number): number {
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 256)) {
    throw new RangeError(`asyncThreads: the number of threads must be an integer from 1 to 256, got ${String(n)}`);
  }
  return n === undefined ? nativeCore().asyncThreads() : nativeCore().asyncThreads(n);
}
