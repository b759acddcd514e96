
/** util.inspect.custom, by its registered name: the declarations then need no Node.js types,
 * so projects without @types/node type-check against this package. */
const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** What a handle asks of the native core. The core hands itself over when it loads (before
 * it makes any handle), so this module does not import the loader. */
interface HandleCore {
  releaseHandle(handle: object): void;
  handleInfo(handle: object): { runtime: string; released: boolean; description?: string };
}

let core: HandleCore | undefined;

/** @internal Called by the native core's loader. */
export function bindHandleCore(c: HandleCore): void {
  core = c;
}

function handleCore(): HandleCore {
  if (!core) throw new TypeError('MetaFFIHandle objects are made by metaffi only');
  return core;
}

/**
 * An object of a foreign runtime (a Python object, a Java object, a Go value). Opaque in
 * JS: pass it back to the runtime it came from, or to another one. The foreign reference is
 * dropped when this wrapper is garbage-collected, or at once by release() / `using`.
 *
 * Instances are made by the native core only.
 */
export class MetaFFIHandle {
  /** The runtime that owns the object: 'python3', 'openjdk', 'go' or 'js'. */
  get runtime(): string {
    return handleCore().handleInfo(this).runtime;
  }

  /** True after release(), or after the owning runtime was released. */
  get released(): boolean {
    return handleCore().handleInfo(this).released;
  }

  /** The foreign type of the object, e.g. 'builtins.dict' or 'java.util.ArrayList'. */
  get foreignType(): string | undefined {
    return handleCore().handleInfo(this).description;
  }

  /** Drop the foreign reference now. Calling it again does nothing. */
  release(): void {
    handleCore().releaseHandle(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  toString(): string {
    const info = handleCore().handleInfo(this);
    if (info.released) return `MetaFFIHandle(${info.runtime}, released)`;
    return `MetaFFIHandle(${info.runtime}${info.description ? ' ' + info.description : ''})`;
  }

  [inspectCustom](): string {
    return this.toString();
  }
}
