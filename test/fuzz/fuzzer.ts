/**
 * The fuzzer's child program: feeds seeded random values with random declared types to echo
 * entities of python3, openjdk and go, and checks that every outcome is a value or a
 * MetaFFIError/TypeError/RangeError, and that an exact-typed echo returns its input.
 *
 *   node .build/test/fuzz/fuzzer.js '<config JSON>'
 *
 * config: { seed, iterations, paths: { python, java, go }, progress (a file that holds the
 * case being run, so that a crash can be reproduced), exclude (value kinds, declared types
 * modes and invalid kinds left out, by name, optionally for one runtime: "deep",
 * "openjdk:deep", "pycallback:loneSurrogate", "type:char8", "go:mode:returns",
 * "invalid:undefined") }. Prints one JSON line: counts and problems.
 */
import { writeFileSync } from 'node:fs';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIError, MetaFFIHandle } from 'metaffi';

export interface FuzzConfig {
  seed: number;
  iterations: number;
  /** hostile: test/fixtures/python/hostile.py, whose evaluate() returns Python values */
  paths: { python: string; hostile?: string; java: string; go: string };
  progress?: string;
  /** names of value kinds ("loneSurrogate", "deep", ...) or "runtime:type" pairs left out */
  exclude?: string[];
}

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Source-like text of a value, to reproduce a case by hand. */
export function show(v: unknown, depth = 0): string {
  if (depth > 6) return '…';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}+…(${v.length})` : JSON.stringify(v).replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'function') return 'function';
  if (v instanceof MetaFFIHandle) return `handle(${v.runtime})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}[${Array.from(v as unknown as ArrayLike<unknown>).slice(0, 8).map((x) => show(x)).join(', ')}]`;
  if (Array.isArray(v)) {
    let d = 0;
    let x: unknown = v;
    while (Array.isArray(x) && x.length === 1) { d++; x = x[0]; }
    if (d > 8) return `nested(${d}, ${show(x)})`;
    return `[${v.slice(0, 8).map((x) => show(x, depth + 1)).join(', ')}${v.length > 8 ? ', …' : ''}]`;
  }
  if (v instanceof Map) return `Map(${v.size})`;
  if (typeof v === 'object') return `{${Object.entries(v as object).slice(0, 6).map(([k, x]) => `${JSON.stringify(k)}: ${show(x, depth + 1)}`).join(', ')}}`;
  return String(v);
}

const scalarTypes: [string, T][] = [
  ['float64', T.metaffi_float64_type], ['float32', T.metaffi_float32_type], ['int8', T.metaffi_int8_type],
  ['int16', T.metaffi_int16_type], ['int32', T.metaffi_int32_type], ['int64', T.metaffi_int64_type],
  ['uint8', T.metaffi_uint8_type], ['uint16', T.metaffi_uint16_type], ['uint32', T.metaffi_uint32_type],
  ['uint64', T.metaffi_uint64_type], ['size', T.metaffi_size_type], ['bool', T.metaffi_bool_type],
  ['string8', T.metaffi_string8_type], ['string16', T.metaffi_string16_type], ['string32', T.metaffi_string32_type],
  ['char8', T.metaffi_char8_type], ['char16', T.metaffi_char16_type], ['char32', T.metaffi_char32_type],
  ['handle', T.metaffi_handle_type], ['callable', T.metaffi_callable_type], ['any', T.metaffi_any_type],
  ['null', T.metaffi_null_type],
];
const ARRAYABLE = new Set(['float64', 'float32', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'size', 'bool', 'string8', 'string16', 'string32', 'any', 'handle']);
const PACKABLE = new Set(['float64', 'float32', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'size', 'bool']);

interface Declared { name: string; base: string; code: T; dims: number; packed: boolean }

function declared(base: string, dims: number, packed = false): Declared {
  const code = scalarTypes.find(([n]) => n === base)![1];
  const full = dims > 0 ? ((code | T.metaffi_array_type | (packed ? T.metaffi_packed_type : 0)) as T) : code;
  return { name: `${base}${'[]'.repeat(dims)}${packed ? ' packed' : ''}`, base, code: full, dims, packed };
}

/** An echo entity. `via`: the value goes through a JS callback the entity calls (its first
 * parameter), so it crosses in both directions twice. `tag` names it in exclusions. */
interface Target { runtime: 'python3' | 'openjdk' | 'go'; path: string; natural: Declared | null; via?: boolean; tag?: string }

/** The echo entities: python3's echo is exact for every type; the others for their own. */
function targets(): Target[] {
  const out: Target[] = [
    { runtime: 'python3', path: 'callable=echo', natural: null },
    { runtime: 'python3', path: 'callable=call_with', natural: null, via: true, tag: 'pycallback' },
  ];
  const java: [string, string, number][] = [
    ['echoLong', 'int64', 0], ['echoInt', 'int32', 0], ['echoShort', 'int16', 0], ['echoByte', 'int8', 0],
    ['echoDouble', 'float64', 0], ['echoFloat', 'float32', 0], ['echoString', 'string8', 0], ['echoObject', 'any', 0],
    ['echoLongs', 'int64', 1], ['echoDoubles', 'float64', 1], ['echoBools', 'bool', 1], ['echoFloats', 'float32', 1],
    ['echoShorts', 'int16', 1],
  ];
  for (const [m, base, dims] of java) out.push({ runtime: 'openjdk', path: `class=guest.Guest,callable=${m}`, natural: declared(base, dims) });
  const go: [string, string, number][] = [
    ['EchoI8', 'int8', 0], ['EchoI16', 'int16', 0], ['EchoI32', 'int32', 0], ['EchoI64', 'int64', 0], ['EchoU8', 'uint8', 0],
    ['EchoU16', 'uint16', 0], ['EchoU32', 'uint32', 0], ['EchoU64', 'uint64', 0], ['EchoF32', 'float32', 0],
    ['EchoF64', 'float64', 0], ['EchoBool', 'bool', 0], ['EchoString', 'string8', 0], ['EchoAny', 'any', 0],
    ['EchoI64s', 'int64', 1], ['EchoF64s', 'float64', 1], ['EchoU8s', 'uint8', 1], ['EchoStrings', 'string8', 1],
    ['EchoBools', 'bool', 1], ['EchoI32s2', 'int32', 2],
  ];
  for (const [f, base, dims] of go) out.push({ runtime: 'go', path: `callable=${f}`, natural: declared(base, dims) });
  return out;
}

class Gen {
  /** the runtime the next value goes to: exclusions may name one ("openjdk:deep") */
  runtime = '';
  tag = '';
  isExcluded(kind: string): boolean { return this.excluded(kind); }
  private excluded(kind: string): boolean {
    return this.exclude.has(kind) || this.exclude.has(`${this.runtime}:${kind}`) || (this.tag !== '' && this.exclude.has(`${this.tag}:${kind}`));
  }
  constructor(private rnd: () => number, private handles: unknown[], private exclude: Set<string>) {}
  int(n: number): number { return Math.floor(this.rnd() * n); }
  pick<X>(xs: readonly X[]): X { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.rnd() < p; }

  number(): number {
    return this.pick([
      () => 0, () => -0, () => NaN, () => Infinity, () => -Infinity, () => 1e300, () => -1e300, () => 1e39, () => 5e-324,
      () => Number.MAX_SAFE_INTEGER, () => Number.MAX_SAFE_INTEGER + 2, () => -Number.MAX_SAFE_INTEGER, () => 2 ** 63, () => 2 ** 64,
      () => this.pick([127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536, 2147483647, 2147483648, -2147483648, -2147483649, 4294967295, 4294967296]),
      () => this.int(200) - 100, () => (this.rnd() - 0.5) * 10 ** this.int(40), () => this.int(1000) + 0.5, () => Math.fround(this.rnd() * 1e6),
    ])();
  }

  bigint(): bigint {
    return this.pick([
      () => 0n, () => -1n, () => 2n ** 63n - 1n, () => 2n ** 63n, () => -(2n ** 63n), () => -(2n ** 63n) - 1n, () => 2n ** 64n - 1n,
      () => 2n ** 64n, () => 2n ** 200n, () => -(2n ** 200n), () => BigInt(this.int(1000) - 500), () => 255n, () => 256n, () => 2n ** 32n,
    ])();
  }

  string(): string {
    const parts = ['a', 'hello', '', '\0', 'ü', '日本', '🎉', '👩‍👩‍👧', ' ', '\n', 'x'.repeat(300), '\u{10FFFF}', '\uFFFE'];
    if (!this.excluded('loneSurrogate')) parts.push('\ud800', '\udfff', '\udc00\ud800');
    let s = '';
    const n = this.int(5);
    for (let i = 0; i < n; i++) s += this.pick(parts);
    return s;
  }

  value(depth = 0): unknown {
    const kinds = ['number', 'number', 'bigint', 'string', 'string', 'bool', 'null', 'undefined', 'array', 'array', 'object', 'map',
      'function', 'handle', 'typed', 'date', 'symbol', 'char', 'deep', 'veryDeep'].filter((k) => !this.excluded(k));
    const kind = depth > 3 ? this.pick(['number', 'string', 'bool', 'null']) : this.pick(kinds);
    switch (kind) {
      case 'number': return this.number();
      case 'bigint': return this.bigint();
      case 'string': return this.string();
      case 'char': return this.pick(['a', '\0', 'é', '🎉', 'ß', '\ud800']);
      case 'bool': return this.chance(0.5);
      case 'null': return null;
      case 'undefined': return undefined;
      case 'array': {
        const n = this.int(5);
        const uniform = this.chance(0.6) ? this.pick(['number', 'string', 'bool', 'bigint']) : null;
        return Array.from({ length: n }, () => uniform === 'number' ? this.number() : uniform === 'string' ? this.string()
          : uniform === 'bool' ? this.chance(0.5) : uniform === 'bigint' ? this.bigint() : this.value(depth + 1));
      }
      case 'object': {
        const o: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) o[this.string()] = this.value(depth + 1);
        return o;
      }
      case 'map': return new Map([[this.value(depth + 1), this.value(depth + 1)]]);
      case 'function': return (...args: unknown[]) => args.length;
      case 'handle': return this.pick(this.handles);
      case 'typed': return this.pick([
        () => new Float64Array([1.5, NaN, -0]), () => new Int32Array([-1, 2]), () => new Uint8Array([0, 255]),
        () => new BigInt64Array([-(2n ** 63n)]), () => new BigUint64Array([2n ** 64n - 1n]), () => new Float32Array([1e38]),
        () => new Int8Array([-128]), () => new Uint16Array([65535]),
      ])();
      case 'date': return new Date(0);
      case 'symbol': return Symbol('s');
      case 'deep':
      case 'veryDeep': {
        let v: unknown = this.int(3);
        const n = kind === 'deep' ? this.pick([255, 256, 257, 300, 2000]) : this.pick([30000, 100000]);
        for (let i = 0; i < n; i++) v = [v];
        return v;
      }
      default: return null;
    }
  }

  /** A value that fits the declared type (for the exact-echo check), or null when none is made. */
  fitting(d: Declared): unknown {
    if (d.dims > 0) {
      const inner = declared(d.base, d.dims - 1);
      const n = this.int(4);
      const xs = Array.from({ length: n }, () => this.fitting(inner));
      return xs.some((x) => x === NO_VALUE) ? NO_VALUE : xs;
    }
    const ranges: Record<string, [bigint, bigint]> = {
      int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
      uint8: [0n, 255n], uint16: [0n, 65535n], uint32: [0n, 2n ** 32n - 1n], uint64: [0n, 2n ** 64n - 1n], size: [0n, 2n ** 64n - 1n],
    };
    const r = ranges[d.base];
    if (r) {
      const v = this.pick([r[0], r[1], 0n, r[0] + BigInt(this.int(100)), r[1] - BigInt(this.int(100))]);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) && this.chance(0.7) ? Number(v) : v;
    }
    switch (d.base) {
      case 'float64': return this.number();
      case 'float32': return this.pick([0, -0, NaN, Infinity, 1.5, -3.25e38, Math.fround(0.1), 1e-45, 0.1]);
      case 'bool': return this.chance(0.5);
      case 'string8': case 'string32': {
        const s = this.string();
        return hasLoneSurrogate(s) ? NO_VALUE : s;
      }
      case 'string16': return this.string();
      case 'null': return null;
      default: return NO_VALUE;
    }
  }
}

const NO_VALUE = Symbol('no value');

/** Python expressions whose values python3 must return as any declared type, or refuse. */
const pythonValues = [
  '0', '1', '-1', '300', '255', '256', '-129', '2**31', '2**32', '2**63 - 1', '2**63', '2**64 - 1', '2**64', '-(2**63) - 1',
  '10**5000', 'True', 'False', 'None', '1.5', '-0.0', 'float("nan")', 'float("inf")', '1e39', '1e300', '3.4028235e38',
  '""', '"text"', '"a\\0b"', '"\\ud800"', '"x\\udfffy"', '"🎉"', '"é"', '"ab"', 'b"\\x00\\xff"', 'bytearray(3)',
  '[1, 2, 3]', '[1, "2"]', '[[1], [2, 300]]', '(1, 2)', '{1, 2}', 'range(4)', '[True, 0, 1]', '[1.5, None]', '["a", "\\ud800"]',
  '{"a": 1}', '{1: "x"}', '{(1, 2): [3]}', 'nested_list(255)', 'nested_list(256)', 'nested_list(257)', 'nested_list(30000)',
  'nested_dict(300)', 'self_list()', 'self_dict()', '[self_list()]', 'iter([1, 2])', '(i for i in range(2))',
  '__import__("itertools").count()', 'object()', 'len', 'lambda x: x', 'Exception("e")', '__import__("decimal").Decimal(1)',
  '[object(), None]', '{"k": object()}', 'nested_list(100, "\\ud800")',
];
const echoBack = (x: unknown) => x;

const intRanges: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n], uint16: [0n, 65535n], uint32: [0n, 2n ** 32n - 1n], uint64: [0n, 2n ** 64n - 1n], size: [0n, 2n ** 64n - 1n],
};

const hasLoneSurrogate = (s: string) => /[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));

/**
 * Values the decisions say must be refused for a declared type, by kind: the call must end
 * in an error, never in a value.
 */
function invalidFor(gen: Gen, d: Declared): [string, unknown] | null {
  const r = intRanges[d.base];
  const options: [string, () => unknown][] = [];
  // undefined is a value only for null and any (where it means null)
  if (d.dims === 0 && d.base !== 'null' && d.base !== 'any') options.push(['undefined', () => undefined]);
  if (d.dims === 0 && r) {
    options.push(['intRange', () => gen.pick([r[0] - 1n, r[1] + 1n, r[1] + 1000n])]);
    options.push(['intKind', () => gen.pick(['1', 1.5, true, [1], NaN])]);
  }
  if (d.dims === 0 && d.base === 'bool') options.push(['boolKind', () => gen.pick([0, 1, 300, 'true', null])]);
  if (d.dims === 0 && d.base === 'float32') options.push(['float32Range', () => gen.pick([1e39, -1e39, 1e300, 3.5e38])]);
  if (d.dims === 0 && (d.base === 'string8' || d.base === 'string32')) options.push(['loneSurrogate', () => gen.pick(['\ud800', 'a\udfffb', '🎉\udc00'])]);
  if (d.dims === 1 && (r || d.base === 'float64' || d.base.startsWith('string'))) options.push(['hole', () => {
    const a: unknown[] = [gen.fitting(declared(d.base, 0))]; a[2] = a[0]; return a;  
  }]);
  if (d.dims === 2) options.push(['hole2d', () => { const a: unknown[] = [[]]; a[2] = []; return a; }]);
  const allowed = options.filter(([k]) => !gen.isExcluded(`invalid:${k}`));
  if (!allowed.length) return null;
  const [kind, make] = gen.pick(allowed);
  const v = make();
  return v === NO_VALUE || (Array.isArray(v) && v.includes(NO_VALUE)) ? null : [kind, v];
}

/** Whether a value returned for a declared type is one that type can hold. */
function fits(v: unknown, d: Declared): boolean {
  if (d.dims > 0) {
    if (v === null) return true;
    const xs = ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : v;
    if (!Array.isArray(xs)) return false;
    // a packed bool array comes back as a Uint8Array of 0 and 1
    if (ArrayBuffer.isView(v) && d.base === 'bool') return d.dims === 1 && xs.every((x) => x === 0 || x === 1);
    const inner = declared(d.base, d.dims - 1);
    return xs.every((x) => fits(x, inner));
  }
  const r = intRanges[d.base];
  if (r) {
    if (typeof v !== 'number' && typeof v !== 'bigint') return false;
    if (typeof v === 'number' && !Number.isInteger(v)) return false;
    const b = BigInt(v);
    return b >= r[0] && b <= r[1];
  }
  switch (d.base) {
    case 'float64': return typeof v === 'number';
    case 'float32': return typeof v === 'number' && (Number.isNaN(v) || Object.is(Math.fround(v), v));
    case 'bool': return typeof v === 'boolean';
    case 'string8': case 'string32': return v === null || (typeof v === 'string' && !hasLoneSurrogate(v));
    case 'string16': return v === null || typeof v === 'string';
    case 'char8': return typeof v === 'string' && v.length === 1 && v.charCodeAt(0) < 0x80;
    case 'char16': return typeof v === 'string' && v.length === 1;
    case 'char32': return typeof v === 'string' && [...v].length === 1 && !hasLoneSurrogate(v);
    case 'null': return v === null;
    case 'callable': return v === null || typeof v === 'function';
    default: return true;
  }
}

/** What an exact-typed echo must return for `input`. */
function expected(input: unknown, d: Declared): unknown {
  if (d.dims > 0) {
    const inner = declared(d.base, d.dims - 1);
    return (input as unknown[]).map((x) => expected(x, inner));
  }
  switch (d.base) {
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32': return Number(input);
    case 'int64': case 'uint64': case 'size': {
      const b = BigInt(input as number | bigint);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    case 'float32': return Math.fround(input as number);
    default: return input;
  }
}

function same(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a)) a = Array.from(a as unknown as ArrayLike<unknown>);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => same(x, b[i]));
  }
  return Object.is(a, b);
}

export function fuzz(cfg: FuzzConfig): { calls: number; values: number; errors: Record<string, number>; problems: string[] } {
  const exclude = new Set(cfg.exclude ?? []);
  const rnd = prng(cfg.seed);
  const py = new MetaFFIRuntime('python3').loadModule(cfg.paths.python);
  const hostile = cfg.paths.hostile ? new MetaFFIRuntime('python3').loadModule(cfg.paths.hostile) : null;
  const java = new MetaFFIRuntime('openjdk').loadModule(cfg.paths.java);
  const go = new MetaFFIRuntime('go').loadModule(cfg.paths.go);
  const handles: unknown[] = [
    py.loadEntity('callable=Point', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_handle_type])(1, 2),
    java.loadEntity('class=guest.Guest,callable=makeList', null, [T.metaffi_handle_type])(),
    go.loadEntity('callable=NewThing', [T.metaffi_int64_type], [T.metaffi_handle_type])(7),
    new (class Local { x = 1; })(),
  ];
  const gen = new Gen(rnd, handles, exclude);
  const all = targets().filter((t) => !exclude.has(t.runtime) && !exclude.has(`${t.runtime}:${t.path}`));
  const modules = { python3: py, openjdk: java, go } as const;
  const problems: string[] = [];
  const errors: Record<string, number> = {};
  let values = 0;
  const cache = new Map<string, (...a: unknown[]) => unknown>();
  for (let i = 0; i < cfg.iterations; i++) {
    if (hostile && !exclude.has('pyreturns') && gen.chance(0.15)) {
      // a Python value (from an expression) returned as a random declared type
      const d = (() => {
        const base = gen.pick(scalarTypes)[0];
        const dims = ARRAYABLE.has(base) && gen.chance(0.35) ? (gen.chance(0.8) ? 1 : 2) : 0;
        return declared(base, dims, dims === 1 && PACKABLE.has(base) && gen.chance(0.2));
      })();
      const expr = gen.pick(pythonValues);
      const desc = `seed ${cfg.seed} case ${i}: python3 evaluate(${JSON.stringify(expr)}) declared -> (${d.name})`;
      if (cfg.progress) writeFileSync(cfg.progress, desc + '\n');
      const key = `hostile|${d.name}`;
      let ev = cache.get(key);
      try {
        if (!ev) {
          ev = hostile.loadEntity('callable=evaluate', [T.metaffi_string8_type], [new MetaFFITypeInfo(d.code, undefined, d.dims || undefined)]) as (...a: unknown[]) => unknown;
          cache.set(key, ev);
        }
        const out = ev(expr);
        values++;
        if (!fits(out, d)) problems.push(`a value the declared return type cannot hold: ${desc} -> ${show(out)}`);
      } catch (e) {
        const name = e instanceof MetaFFIError ? 'MetaFFIError' : e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : 'other';
        errors[name] = (errors[name] ?? 0) + 1;
        if (name === 'other') problems.push(`unexpected error ${String(e)}: ${desc}`);
      }
      continue;
    }
    const target = gen.pick(all);
    gen.runtime = target.runtime;
    gen.tag = target.tag ?? '';
    const randomType = (): Declared => {
      const base = gen.pick(scalarTypes)[0];
      const dims = ARRAYABLE.has(base) && gen.chance(0.35) ? (gen.chance(0.8) ? 1 : 2) : 0;
      return declared(base, dims, dims === 1 && PACKABLE.has(base) && gen.chance(0.2));
    };
    // modes: the entity's own type (exact echo), a random type for both, or its own type in
    // and a random declared return type (the foreign value must fit it or be refused)
    const modes = (['exact', 'exact', 'random', 'random', 'returns'] as const).filter((m) => !gen.isExcluded(`mode:${m}`));
    const mode = gen.pick(modes);
    const own = target.natural;
    const d = mode === 'exact' && own ? own : mode === 'returns' && own ? own : randomType();
    const ret = mode === 'returns' ? randomType() : d;
    if (gen.isExcluded(`type:${d.name}`) || gen.isExcluded(`type:${ret.name}`)) continue;
    const isExact = ret === d && (own === null || own.name === d.name) && !d.packed && d.base !== 'handle' &&
      d.base !== 'callable' && d.base !== 'any' && !d.base.startsWith('char');
    let input: unknown = NO_VALUE;
    let mustFail = '';
    if (isExact && gen.chance(0.5)) input = gen.fitting(d);
    else if (mode !== 'returns' && gen.chance(0.25)) {
      const bad = invalidFor(gen, d);
      if (bad) [mustFail, input] = bad;
    }
    const checking = isExact && !mustFail && input !== NO_VALUE;
    if (input === NO_VALUE) input = own && mode === 'returns' && gen.chance(0.7) ? gen.fitting(own) : NO_VALUE;
    if (input === NO_VALUE) input = gen.value();
    const desc = `seed ${cfg.seed} case ${i}: ${target.runtime} ${target.path} declared (${d.name}) -> (${ret.name}) <- ${show(input)}`;
    if (cfg.progress) writeFileSync(cfg.progress, desc + '\n');
    const key = `${target.runtime}|${target.path}|${d.name}|${ret.name}`;
    let fn = cache.get(key);
    try {
      if (!fn) {
        const info = (x: Declared) => new MetaFFITypeInfo(x.code, undefined, x.dims || undefined);
        const params = target.via ? [new MetaFFITypeInfo(T.metaffi_callable_type), info(d)] : [info(d)];
        fn = modules[target.runtime].loadEntity(target.path, params, [info(ret)]) as (...a: unknown[]) => unknown;
        cache.set(key, fn);
      }
      const out = target.via ? fn(echoBack, input) : fn(input);
      values++;
      if (mustFail) problems.push(`a value where an error was due (${mustFail}): ${desc} -> ${show(out)}`);
      else if (checking && !same(out, expected(input, d))) problems.push(`wrong value: ${desc} -> ${show(out)} (expected ${show(expected(input, d))})`);
      else if (!fits(out, ret)) problems.push(`a value the declared return type cannot hold: ${desc} -> ${show(out)}`);
    } catch (e) {
      const name = e instanceof MetaFFIError ? 'MetaFFIError' : e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : 'other';
      errors[name] = (errors[name] ?? 0) + 1;
      if (name === 'other') problems.push(`unexpected error ${String(e)}: ${desc}`);
      else if (checking) problems.push(`error for a fitting value: ${desc} -> ${name}: ${(e as Error).message}`);
    }
  }
  return { calls: cfg.iterations, values, errors, problems };
}

if (process.argv[1]?.endsWith('fuzzer.js') && process.argv[2]) {
  const result = fuzz(JSON.parse(process.argv[2]) as FuzzConfig);
  console.log(JSON.stringify(result));
}
