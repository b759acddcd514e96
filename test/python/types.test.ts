import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIHandle } from 'metaffi';
import { fixture } from '../support/fixtures.js';

const runtime = new MetaFFIRuntime('python3');
const guest = runtime.loadModule(fixture('python', 'guest.py'));
const echoOf = (t: T | MetaFFITypeInfo) => guest.loadEntity('callable=echo', [t], [t]);

describe('python3 scalar types', () => {
  it('float64 and float32', () => {
    assert.equal(echoOf(T.metaffi_float64_type)(Math.PI), Math.PI);
    assert.equal(echoOf(T.metaffi_float64_type)(-0.5e-300), -0.5e-300);
    assert.ok(Number.isNaN(echoOf(T.metaffi_float64_type)(NaN)));
    assert.equal(echoOf(T.metaffi_float64_type)(Infinity), Infinity);
    assert.equal(echoOf(T.metaffi_float32_type)(1.5), 1.5);
    assert.equal(echoOf(T.metaffi_float32_type)(0.1), Math.fround(0.1));
  });

  it('sized integers at their limits', () => {
    const cases: [T, number, number][] = [
      [T.metaffi_int8_type, -128, 127], [T.metaffi_int16_type, -32768, 32767],
      [T.metaffi_int32_type, -2147483648, 2147483647], [T.metaffi_uint8_type, 0, 255],
      [T.metaffi_uint16_type, 0, 65535], [T.metaffi_uint32_type, 0, 4294967295],
    ];
    for (const [t, min, max] of cases) {
      const f = echoOf(t);
      assert.equal(f(min), min);
      assert.equal(f(max), max);
      assert.throws(() => f(max + 1), { name: 'TypeError', message: /out of its range/ });
      assert.throws(() => f(min - 1), { name: 'TypeError', message: /out of its range/ });
      assert.throws(() => f(1.5), { name: 'TypeError', message: /integer/ });
    }
  });

  it('int64 keeps every bit: numbers when safe, bigints beyond 2^53', () => {
    const f = echoOf(T.metaffi_int64_type);
    assert.equal(f(42), 42);
    assert.equal(f(-42n), -42);
    assert.equal(f(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    assert.equal(f(2n ** 53n), 2n ** 53n);
    assert.equal(f(2n ** 63n - 1n), 2n ** 63n - 1n);
    assert.equal(f(-(2n ** 63n)), -(2n ** 63n));
    assert.throws(() => f(2n ** 63n), { name: 'TypeError', message: /out of its range/ });
    assert.throws(() => f(0.5), TypeError);
    const big = guest.loadEntity('attribute=big,getter', null, [T.metaffi_int64_type]);
    assert.equal(big(), 2n ** 62n + 1n);
  });

  it('uint64 and size up to 2^64-1', () => {
    for (const t of [T.metaffi_uint64_type, T.metaffi_size_type]) {
      const f = echoOf(t);
      assert.equal(f(7), 7);
      assert.equal(f(2n ** 64n - 1n), 2n ** 64n - 1n);
      assert.throws(() => f(-1), /out of its range/);
      assert.throws(() => f(2n ** 64n), /out of its range/);
    }
  });

  it('a Python int out of the declared range is an error, not a wrapped value', () => {
    const f = guest.loadEntity('callable=multiply', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int8_type]);
    assert.equal(f(10, 12), 120);
    assert.throws(() => f(100, 100), { name: 'MetaFFIError', message: /OverflowError.*int8/ });
  });

  it('bool', () => {
    const f = echoOf(T.metaffi_bool_type);
    assert.equal(f(true), true);
    assert.equal(f(false), false);
    assert.throws(() => f(1), { name: 'TypeError', message: /bool/ });
  });

  it('strings of every width, full Unicode', () => {
    const samples = ['', 'ascii', 'äöü ß', '日本語', 'emoji 🎉👩‍👩‍👧', 'nul\u0000inside', 'x'.repeat(100000)];
    for (const t of [T.metaffi_string8_type, T.metaffi_string16_type, T.metaffi_string32_type]) {
      const f = echoOf(t);
      for (const s of samples) assert.equal(f(s), s);
      assert.equal(f(null), null);
      assert.throws(() => f(5), { name: 'TypeError', message: /string/ });
    }
    const typeName = guest.loadEntity('callable=type_name', [T.metaffi_string8_type], [T.metaffi_string8_type]);
    assert.equal(typeName('x'), 'str');
  });

  it('chars are one-character strings', () => {
    assert.equal(echoOf(T.metaffi_char8_type)('a'), 'a');
    assert.equal(echoOf(T.metaffi_char16_type)('ß'), 'ß');
    assert.equal(echoOf(T.metaffi_char32_type)('🎉'), '🎉');
    assert.throws(() => echoOf(T.metaffi_char8_type)('ab'), /one-character/);
    assert.throws(() => echoOf(T.metaffi_char16_type)('🎉'), /char16/);
    const typeName = guest.loadEntity('callable=type_name', [T.metaffi_char32_type], [T.metaffi_string8_type]);
    assert.equal(typeName('z'), 'str');
  });

  it('null', () => {
    const f = guest.loadEntity('callable=echo', [T.metaffi_null_type], [T.metaffi_null_type]);
    assert.equal(f(null), null);
    const typeName = guest.loadEntity('callable=type_name', [T.metaffi_null_type], [T.metaffi_string8_type]);
    assert.equal(typeName(undefined), 'NoneType');
  });
});

describe('python3 any', () => {
  const echo = echoOf(T.metaffi_any_type);
  const typeName = guest.loadEntity('callable=type_name', [T.metaffi_any_type], [T.metaffi_string8_type]);

  it('passes natural values both ways', () => {
    for (const v of [0, -5, 3.25, 'text', true, false, null, 2n ** 60n, [1, 'a', [true, null]], { a: 1, b: [2, 3] }]) {
      assert.deepEqual(echo(v), v);
    }
    assert.equal(echo(undefined), null);
  });

  it('maps JS values to the natural Python types', () => {
    assert.equal(typeName(1), 'int');
    assert.equal(typeName(1.5), 'float');
    assert.equal(typeName(2n ** 63n), 'int');
    assert.equal(typeName('s'), 'str');
    assert.equal(typeName(true), 'bool');
    assert.equal(typeName(null), 'NoneType');
    assert.equal(typeName([1, 2]), 'list');
    assert.equal(typeName({ k: 1 }), 'dict');
    assert.equal(typeName(new Map([[1, 2]])), 'dict');
    assert.equal(typeName(new Uint8Array([1, 2])), 'bytes');
    assert.equal(typeName(new Float64Array([1, 2])), 'list');
    assert.equal(typeName(() => 1), 'ForeignCallable');
    assert.equal(typeName(new Date()), 'ForeignObject');
  });

  it('returns dicts as objects, non-string keys as Map, tuples as arrays, bytes as Uint8Array', () => {
    const f = (name: string) => guest.loadEntity(`callable=${name}`, null, [T.metaffi_any_type]);
    assert.deepEqual(f('make_dict')(), { a: 1, b: [1, 2, 3], c: { nested: true }, d: null, e: 2.5 });
    assert.deepEqual(f('make_int_keyed_dict')(), new Map([[1, 'one'], [2, 'two']]));
    assert.deepEqual(f('make_tuple')(), [1, 'two', 3]);
    assert.deepEqual(f('make_bytes')(), [0, 1, 254, 255]);
  });

  it('round-trips a JS object through Python as a handle, keeping its identity', () => {
    const obj = new (class Thing { x = 1; })();
    assert.equal(echo(obj), obj);
    const date = new Date();
    const hEcho = echoOf(T.metaffi_handle_type);
    assert.equal(hEcho(date), date);
  });

  it('other Python objects arrive as handles', () => {
    const point = guest.loadEntity('callable=Point', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_any_type]);
    const p = point(1, 2);
    assert.ok(p instanceof MetaFFIHandle);
    assert.equal(p.runtime, 'python3');
    assert.equal(p.foreignType, 'guest.Point');
  });
});

describe('python3 arrays', () => {
  it('1-D arrays of every numeric type, from arrays and typed arrays', () => {
    const cases: [T, unknown[]][] = [
      [T.metaffi_float64_array_type, [1.5, -2, 0]], [T.metaffi_float32_array_type, [1.5, -2, 0]],
      [T.metaffi_int8_array_type, [-128, 0, 127]], [T.metaffi_int16_array_type, [-32768, 32767]],
      [T.metaffi_int32_array_type, [-2147483648, 2147483647]], [T.metaffi_int64_array_type, [1, -(2n ** 63n), 2n ** 62n]],
      [T.metaffi_uint8_array_type, [0, 255]], [T.metaffi_uint16_array_type, [0, 65535]],
      [T.metaffi_uint32_array_type, [0, 4294967295]], [T.metaffi_uint64_array_type, [0, 2n ** 64n - 1n]],
      [T.metaffi_bool_array_type, [true, false, true]], [T.metaffi_size_array_type, [0, 10]],
    ];
    for (const [t, values] of cases) assert.deepEqual(echoOf(t)(values), values, T[t]);
    assert.deepEqual(echoOf(T.metaffi_float64_array_type)(new Float64Array([1, 2, 3])), [1, 2, 3]);
    assert.deepEqual(echoOf(T.metaffi_int32_array_type)(new Int32Array([4, 5])), [4, 5]);
    assert.deepEqual(echoOf(T.metaffi_float64_array_type)(new Int32Array([4, 5])), [4, 5]);
    assert.deepEqual(echoOf(T.metaffi_int64_array_type)(new BigInt64Array([4n, 2n ** 60n])), [4, 2n ** 60n]);
    assert.deepEqual(echoOf(T.metaffi_float64_array_type)([]), []);
  });

  it('uint8 arrays are bytes in Python', () => {
    const len = guest.loadEntity('callable=bytes_len', [T.metaffi_uint8_array_type], [T.metaffi_int64_type]);
    assert.equal(len(new Uint8Array(1000)), 1000);
    assert.equal(len(Buffer.from('hello')), 5);
    const typeName = guest.loadEntity('callable=type_name', [T.metaffi_uint8_array_type], [T.metaffi_string8_type]);
    assert.equal(typeName([1, 2, 3]), 'bytes');
  });

  it('packed array types return typed arrays', () => {
    const f = echoOf(T.metaffi_float64_packed_array_type);
    const out = f(new Float64Array([1, 2, 3]));
    assert.ok(out instanceof Float64Array);
    assert.deepEqual(Array.from(out), [1, 2, 3]);
    const i64 = echoOf(T.metaffi_int64_packed_array_type)([1, 2]);
    assert.ok(i64 instanceof BigInt64Array);
  });

  it('sums 10k numbers', () => {
    const sum = guest.loadEntity('callable=sum_list', [T.metaffi_float64_array_type], [T.metaffi_float64_type]);
    const values = Array.from({ length: 10000 }, (_, i) => i);
    assert.equal(sum(values), (9999 * 10000) / 2);
    assert.equal(sum(new Float64Array(values)), (9999 * 10000) / 2);
  });

  it('arrays of strings, chars, handles, any', () => {
    assert.deepEqual(echoOf(T.metaffi_string8_array_type)(['a', 'ü', '🎉', '']), ['a', 'ü', '🎉', '']);
    assert.deepEqual(echoOf(T.metaffi_string16_array_type)(['x', 'y']), ['x', 'y']);
    assert.deepEqual(echoOf(T.metaffi_char32_array_type)(['a', '🎉']), ['a', '🎉']);
    assert.deepEqual(echoOf(T.metaffi_any_array_type)([1, 'two', null, [3]]), [1, 'two', null, [3]]);
    const point = guest.loadEntity('callable=Point', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_handle_type]);
    const points = [point(1, 1), point(2, 2)];
    const back = echoOf(T.metaffi_handle_array_type)(points) as MetaFFIHandle[];
    assert.equal(back.length, 2);
    assert.ok(back.every((h) => h instanceof MetaFFIHandle));
  });

  it('multi-dimensional arrays', () => {
    const make = guest.loadEntity('callable=make_matrix', [T.metaffi_int64_type, T.metaffi_int64_type],
      [new MetaFFITypeInfo(T.metaffi_int64_array_type, undefined, 2)]);
    assert.deepEqual(make(2, 3), [[0, 1, 2], [3, 4, 5]]);
    const transpose = guest.loadEntity('callable=transpose',
      [new MetaFFITypeInfo(T.metaffi_float64_array_type, undefined, 2)],
      [new MetaFFITypeInfo(T.metaffi_float64_array_type, undefined, 2)]);
    assert.deepEqual(transpose([[1, 2], [3, 4], [5, 6]]), [[1, 3, 5], [2, 4, 6]]);
    const cube = new MetaFFITypeInfo(T.metaffi_string8_array_type, undefined, 3);
    assert.deepEqual(echoOf(cube)([[['a'], ['b', 'c']], [[]]]), [[['a'], ['b', 'c']], [[]]]);
    const cubeF = new MetaFFITypeInfo(T.metaffi_float64_type, undefined, 3);
    assert.deepEqual(echoOf(cubeF)([[[1.5]]]), [[[1.5]]]);
  });

  it('an array whose element getter calls into Python again converts both correctly', () => {
    const sum = guest.loadEntity('callable=sum_list', [T.metaffi_float64_array_type], [T.metaffi_float64_type]);
    const tricky = [1, 0, 3];
    let inner = 0;
    Object.defineProperty(tricky, 1, { get() { inner = sum([10, 20, 30, 40]) as number; return 2; } });
    assert.equal(sum(tricky), 6);
    assert.equal(inner, 100);
  });

  it('rejects bad elements with the position', () => {
    const sum = guest.loadEntity('callable=sum_list', [T.metaffi_float64_array_type], [T.metaffi_float64_type]);
    assert.throws(() => sum([1, 2, 'x']), { name: 'TypeError', message: /argument 1\[2\]: expected float64/ });
    assert.throws(() => sum('abc'), { name: 'TypeError', message: /expected an array/ });
    const m = echoOf(new MetaFFITypeInfo(T.metaffi_int32_array_type, undefined, 2));
    assert.throws(() => m([[1], [2, 'x']]), { name: 'TypeError', message: /argument 1\[1\]\[1\]/ });
  });
});

describe('python3 lists returned as float64[]', () => {
  const lists = runtime.loadModule(fixture('python', 'lists.py'));
  const F64A = T.metaffi_float64_array_type;

  it('exact floats, ints, float subclasses and bools all arrive as numbers', () => {
    const exact = lists.loadEntity('callable=exact_floats', [T.metaffi_int64_type], [F64A]);
    for (const n of [0, 1, 10, 1000]) assert.deepEqual(exact(n), Array.from({ length: n }, (_, i) => i + 0.5));
    const mixed = lists.loadEntity('callable=mixed_numbers', null, [F64A]);
    assert.deepEqual(mixed(), [1.5, 2, 3.25, 1, -0, Infinity]);
    const packed = lists.loadEntity('callable=mixed_numbers', null, [T.metaffi_float64_packed_array_type]);
    assert.deepEqual(Array.from(packed() as Float64Array), [1.5, 2, 3.25, 1, -0, Infinity]);
  });

  it('a list with a string in it is an error naming the element type', () => {
    const bad = lists.loadEntity('callable=with_a_string', null, [F64A]);
    assert.throws(() => bad(), (e: unknown) => e instanceof Error && /float/.test(e.message));
  });
});
