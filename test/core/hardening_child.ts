/**
 * The child program of test/core/hardening.test.ts: the risky cases (values nested far past
 * METAFFI_MAX_DEPTH, arrays of 2^32-1 elements) against echo entities of python3, openjdk
 * and go, in a process of its own so that a crash is a failed test. Prints one JSON line:
 * case name -> { value } or { error, message }.
 *
 *   node .build/test/core/hardening_child.js '{"python": ..., "java": ..., "go": ...}'
 */
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo } from 'metaffi';

const paths = JSON.parse(process.argv[2]!) as { python: string; java: string; go: string };
const A = T.metaffi_any_type;

type Fn = (...args: unknown[]) => unknown;
const py = new MetaFFIRuntime('python3').loadModule(paths.python);
const java = new MetaFFIRuntime('openjdk').loadModule(paths.java);
const go = new MetaFFIRuntime('go').loadModule(paths.go);
const echo: Record<string, Fn> = {
  python3: py.loadEntity('callable=echo', [A], [A]) as Fn,
  openjdk: java.loadEntity('class=guest.Guest,callable=echoObject', [A], [A]) as Fn,
  go: go.loadEntity('callable=EchoAny', [A], [A]) as Fn,
};
/** A JS callback whose result travels back through the runtime (as any). */
const viaCallback: Record<string, Fn> = {
  python3: py.loadEntity('callable=call_with', [T.metaffi_callable_type], [A]) as Fn,
  openjdk: java.loadEntity('class=guest.Guest,callable=applyFunction', [T.metaffi_callable_type, A], [A]) as Fn,
};

const out: Record<string, { value?: unknown; error?: string; message?: string }> = {};
function attempt(name: string, f: () => unknown): void {
  try {
    out[name] = { value: f() };
  } catch (e) {
    const err = e as Error;
    out[name] = { error: err.name, message: err.message };
  }
}

/** How deep arrays (or objects, following key "k") nest, counted without recursion. */
function depthOf(v: unknown): number {
  let d = 0;
  for (;;) {
    if (Array.isArray(v) && v.length > 0) v = v[0];
    else if (v !== null && typeof v === 'object' && 'k' in v) v = (v as { k: unknown }).k;
    else return d;
    d++;
  }
}

const nestArrays = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const nestObjects = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { k: v };
  return v;
};
const nestMixed = (depth: number): unknown => {
  let v: unknown = 2;
  for (let i = 0; i < depth; i++) v = i % 2 ? { k: v } : [v];
  return v;
};

for (const [rt, f] of Object.entries(echo)) {
  for (const depth of [256, 257, 1000, 30000]) {
    attempt(`${rt}:arrays:${depth}`, () => depthOf(f(nestArrays(depth))));
    attempt(`${rt}:objects:${depth}`, () => depthOf(f(nestObjects(depth))));
  }
  attempt(`${rt}:mixed:300`, () => depthOf(f(nestMixed(300))));
  attempt(`${rt}:inside:300`, () => f([1, [2, { a: [nestArrays(300)] }]]));
  attempt(`${rt}:after`, () => f([[1, 2], { a: 3 }]));
}

// A declared nested array type: 256 dimensions work, more are refused when declared.
for (const depth of [256, 257, 1000]) {
  attempt(`python3:declared:${depth}`, () => depthOf((py.loadEntity('callable=echo', [new MetaFFITypeInfo(T.metaffi_int64_array_type, null, depth)], [A]) as Fn)(nestArrays(depth))));
}

// Values returned by JS callbacks and carried back through a runtime.
for (const [rt, f] of Object.entries(viaCallback)) {
  for (const depth of [256, 257, 30000]) {
    const value = nestArrays(depth);
    attempt(`${rt}:callback:${depth}`, () => depthOf(rt === 'python3' ? f(() => value) : f(() => value, 0)));
  }
}

// Arrays of 2^32-1 elements: checked before anything that size is allocated.
const huge = new Array(2 ** 32 - 1);
const hugeTypes: [string, T | MetaFFITypeInfo][] = [
  ['int64', T.metaffi_int64_array_type], ['float64', T.metaffi_float64_array_type],
  ['uint8', T.metaffi_uint8_array_type], ['bool', T.metaffi_bool_array_type],
  ['string8', T.metaffi_string8_array_type], ['any', T.metaffi_any_array_type],
  ['int32[][]', new MetaFFITypeInfo(T.metaffi_int32_array_type, null, 2)],
];
for (const [name, type] of hugeTypes) {
  for (const [rt, mod, path] of [['python3', py, 'callable=echo'], ['go', go, 'callable=EchoAny']] as const) {
    attempt(`huge:${rt}:${name}`, () => (mod.loadEntity(path, [type], [A]) as Fn)(huge));
  }
}
attempt('huge:any', () => echo.python3!(huge));
attempt('huge:nested', () => (py.loadEntity('callable=echo', [new MetaFFITypeInfo(T.metaffi_int64_array_type, null, 2)], [A]) as Fn)([[1], huge]));
attempt('huge:after', () => echo.go!([1, 2, 3]));

console.log(JSON.stringify(out));
