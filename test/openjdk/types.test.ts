import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIHandle } from 'metaffi';
import { guestClasses } from '../support/java.js';

const S = T.metaffi_string8_type;
const I32 = T.metaffi_int32_type;
const I64 = T.metaffi_int64_type;
const A = T.metaffi_any_type;
const H = T.metaffi_handle_type;

const jvm = new MetaFFIRuntime('openjdk');
const guest = jvm.loadModule(guestClasses());
const fn = (name: string, params: (number | MetaFFITypeInfo)[] | null, rets: (number | MetaFFITypeInfo)[] | null) =>
  guest.loadEntity(`class=guest.Guest,callable=${name}`, params, rets);

describe('openjdk primitives and boxes', () => {
  it('byte, short, int, long, float, double round-trip at their limits', () => {
    assert.equal(fn('echoByte', [T.metaffi_int8_type], [T.metaffi_int8_type])(-128), -128);
    assert.equal(fn('echoShort', [T.metaffi_int16_type], [T.metaffi_int16_type])(32767), 32767);
    assert.equal(fn('echoInt', [I32], [I32])(-2147483648), -2147483648);
    const echoLong = fn('echoLong', [I64], [I64]);
    assert.equal(echoLong(2 ** 53 - 1), 2 ** 53 - 1);
    assert.equal(echoLong(9223372036854775807n), 9223372036854775807n);
    assert.equal(echoLong(-9223372036854775808n), -9223372036854775808n);
    assert.equal(fn('echoFloat', [T.metaffi_float32_type], [T.metaffi_float32_type])(1.5), 1.5);
    assert.equal(fn('echoDouble', [T.metaffi_float64_type], [T.metaffi_float64_type])(Math.PI), Math.PI);
    assert.equal(fn('mix', [T.metaffi_int8_type, T.metaffi_int16_type, I32, I64, T.metaffi_float32_type, T.metaffi_float64_type],
      [T.metaffi_float64_type])(1, 2, 3, 4, 0.5, 0.25), 10.75);
  });

  it('unsigned types map to the Java type of their width', () => {
    assert.equal(fn('echoByte', [T.metaffi_uint8_type], [T.metaffi_int8_type])(255), -1);
    assert.equal(fn('echoLong', [T.metaffi_uint64_type], [I64])(2n ** 64n - 1n), -1);
    assert.equal(fn('echoInt', [T.metaffi_uint32_type], [I32])(4294967295), -1);
    assert.equal(fn('echoLong', [T.metaffi_size_type], [T.metaffi_size_type])(12345), 12345);
  });

  it('boolean and char', () => {
    assert.equal(fn('not', [T.metaffi_bool_type], [T.metaffi_bool_type])(false), true);
    assert.equal(fn('nextChar', [T.metaffi_char16_type], [T.metaffi_char16_type])('a'), 'b');
    assert.equal(fn('nextChar', [T.metaffi_char8_type], [T.metaffi_char8_type])('y'), 'z');
    assert.equal(fn('nextChar', [T.metaffi_char32_type], [T.metaffi_char32_type])('Ω'), 'Ϊ');
    assert.throws(() => fn('nextChar', [T.metaffi_char16_type], [T.metaffi_char16_type])('🎉'), /Basic Multilingual Plane/);
    assert.throws(() => fn('nextChar', [T.metaffi_char32_type], [T.metaffi_char32_type])('🎉'), /Basic Multilingual Plane/);
  });

  it('boxes, null included', () => {
    assert.equal(fn('boxedInt', [I32], [I32])(41), 42);
    assert.equal(fn('boxedInt', [new MetaFFITypeInfo(A, 'java.lang.Integer')], [A])(null), null);
    assert.equal(fn('boxedLong', [I64], [I64])(2n ** 62n), 2n ** 62n + 1n);
    assert.equal(fn('boxedDouble', [T.metaffi_float64_type], [T.metaffi_float64_type])(1.25), 2.5);
    assert.equal(fn('boxedBool', [T.metaffi_bool_type], [T.metaffi_bool_type])(true), false);
    assert.equal(fn('boxedChar', [T.metaffi_char16_type], [T.metaffi_char16_type])('q'), 'Q');
  });

  it('out-of-range values are TypeErrors', () => {
    assert.throws(() => fn('echoInt', [I32], [I32])(2 ** 31), TypeError);
    assert.throws(() => fn('echoInt', [I32], [I32])(1.5), TypeError);
  });
});

describe('openjdk strings', () => {
  const echo = fn('echoString', [S], [S]);
  const echo16 = fn('echoString', [T.metaffi_string16_type], [T.metaffi_string16_type]);

  it('full Unicode, surrogate pairs included, in string8 and string16', () => {
    for (const s of ['', 'plain', 'héllo wörld', '日本語', '🎉 emoji 👩‍👩‍👧', '\u0000nul inside', 'x'.repeat(100_000) + '🎉']) {
      assert.equal(echo(s), s);
      assert.equal(echo16(s), s);
    }
    assert.equal(fn('length', [S], [I32])('🎉'), 2); // two UTF-16 units in Java
    assert.equal(fn('codePoints', [S], [I32])('a🎉b'), 3);
    assert.equal(fn('concat', [S, S], [S])('😀', '😃'), '😀😃');
  });

  it('null strings both ways; CharSequence parameters', () => {
    assert.equal(fn('nullString', null, [S])(), null);
    assert.equal(fn('isNull', [A], [T.metaffi_bool_type])(null), true);
    assert.equal(echo(null), null);
    assert.equal(fn('describe', [S], [S])('cs'), 'CharSequence:cs');
  });
});

describe('openjdk arrays', () => {
  it('primitive arrays both ways, typed arrays accepted', () => {
    assert.equal(fn('sum', [T.metaffi_int64_array_type], [I64])([1, 2, 3, 2 ** 40]), 6 + 2 ** 40);
    assert.equal(fn('sum', [T.metaffi_int64_array_type], [I64])(new BigInt64Array([5n, 6n])), 11);
    assert.equal(fn('sumDoubles', [T.metaffi_float64_array_type], [T.metaffi_float64_type])(new Float64Array([0.5, 0.25])), 0.75);
    assert.deepEqual(fn('doubled', [T.metaffi_int32_array_type], [T.metaffi_int32_array_type])([1, -2, 3]), [2, -4, 6]);
    assert.deepEqual(fn('echoLongs', [T.metaffi_int64_array_type], [T.metaffi_int64_array_type])([1, 2n ** 60n]), [1, 2n ** 60n]);
    assert.deepEqual(fn('echoDoubles', [T.metaffi_float64_array_type], [T.metaffi_float64_array_type])([]), []);
    assert.deepEqual(fn('echoBytes', [T.metaffi_int8_array_type], [T.metaffi_int8_array_type])([-1, 0, 127]), [-1, 0, 127]);
    assert.deepEqual(fn('echoBools', [T.metaffi_bool_array_type], [T.metaffi_bool_array_type])([true, false, true]), [true, false, true]);
    assert.deepEqual(fn('echoFloats', [T.metaffi_float32_array_type], [T.metaffi_float32_array_type])([0.5, -2]), [0.5, -2]);
    assert.deepEqual(fn('echoShorts', [T.metaffi_int16_array_type], [T.metaffi_int16_array_type])([-300, 300]), [-300, 300]);
    assert.deepEqual(fn('echoChars', [T.metaffi_char16_array_type], [T.metaffi_char16_array_type])(['a', 'é', '日']), ['a', 'é', '日']);
    const big = Array.from({ length: 10_000 }, (_, i) => i);
    assert.equal(fn('sum', [T.metaffi_int64_array_type], [I64])(big), (9999 * 10000) / 2);
  });

  it('packed return types give typed arrays', () => {
    const out = fn('doubled', [T.metaffi_int32_array_type], [T.metaffi_int32_packed_array_type])(new Int32Array([1, 2]));
    assert.ok(out instanceof Int32Array);
    assert.deepEqual([...out], [2, 4]);
  });

  it('String arrays and null elements', () => {
    assert.deepEqual(fn('upper', [T.metaffi_string8_array_type], [T.metaffi_string8_array_type])(['a', null, 'ß🎉']), ['A', null, 'SS🎉']);
  });

  it('arrays of any dimension', () => {
    const I32_2D = new MetaFFITypeInfo(T.metaffi_int32_array_type, undefined, 2);
    assert.deepEqual(fn('transpose', [I32_2D], [I32_2D])([[1, 2, 3], [4, 5, 6]]), [[1, 4], [2, 5], [3, 6]]);
    const F64_3D = new MetaFFITypeInfo(T.metaffi_float64_array_type, undefined, 3);
    const cube = fn('cube', [I32], [F64_3D])(2);
    assert.deepEqual(cube, [[[0, 1], [10, 11]], [[100, 101], [110, 111]]]);
    const S2 = new MetaFFITypeInfo(T.metaffi_string8_array_type, undefined, 2);
    assert.deepEqual(fn('grid', [S2], [S2])([['a', 'b'], [], ['🎉']]), [['a', 'b'], [], ['🎉']]);
  });

  it('Object arrays with mixed values, boxed arrays', () => {
    assert.deepEqual(fn('mixed', null, [A])(), [1, 2, 3.5, 'four', true, null, [5, 6], 'x']);
    assert.equal(fn('count', [T.metaffi_any_array_type], [I32])([1, 'a', null, [2]]), 4);
    assert.deepEqual(fn('boxes', [T.metaffi_int32_array_type], [T.metaffi_int32_array_type])([1, 2, 3]), [1, 2, 3]);
  });

  it('wrong elements name their position', () => {
    assert.throws(() => fn('sum', [T.metaffi_int64_array_type], [I64])([1, 'x']), /\[1\]/);
  });
});

describe('openjdk any', () => {
  const echo = fn('echoObject', [A], [A]);
  const typeOf = fn('typeOf', [A], [S]);

  it('numbers, strings, booleans, null and arrays come back as themselves', () => {
    for (const v of [0, 42, -7, 2 ** 40, 1.5, 'text 🎉', true, false, null, [1, 'two', [3.5, null]]]) {
      assert.deepEqual(echo(v), v);
    }
    assert.equal(echo(2n ** 63n - 1n), 2n ** 63n - 1n);
  });

  it('JS values arrive as their natural Java types', () => {
    assert.equal(typeOf(1), 'java.lang.Integer');
    assert.equal(typeOf(2 ** 40), 'java.lang.Long');
    assert.equal(typeOf(1.5), 'java.lang.Double');
    assert.equal(typeOf('s'), 'java.lang.String');
    assert.equal(typeOf(true), 'java.lang.Boolean');
    assert.equal(typeOf(null), 'null');
    assert.equal(typeOf([1, 2]), '[Ljava.lang.Object;');
    assert.equal(typeOf(new Float64Array([1])), '[D');
    assert.equal(typeOf({ a: 1 }), 'java.util.LinkedHashMap');
    assert.equal(fn('typeOf', [I64], [S])(1), 'java.lang.Long');
  });

  it('other Java objects are handles; JS objects are held opaquely and come back', () => {
    const list = fn('makeList', null, [A])();
    assert.ok(list instanceof MetaFFIHandle);
    assert.equal(list.foreignType, 'java.util.ArrayList');
    assert.equal(typeOf(echo(list)), 'java.util.ArrayList');
    const same = fn('same', [A, A], [T.metaffi_bool_type]);
    assert.equal(same(list, list), true);
    const jsObj = new (class Thing { x = 1; })();
    assert.equal(echo(jsObj), jsObj);
    assert.equal(typeOf(jsObj), 'metaffi.jvm.ForeignObject');
  });
});

describe('openjdk handles', () => {
  it('a returned object is a handle that can be passed back', () => {
    const make = guest.loadEntity('class=guest.Guest,callable=<init>', [T.metaffi_string8_type], [H]);
    const self = guest.loadEntity('class=guest.Guest,callable=self,instance_required', [H], [H]);
    const nameOf = fn('nameOf', [H], [S]);
    const g = make('Grace');
    assert.equal(nameOf(self(g)), 'Grace');
    assert.equal(String(g), 'MetaFFIHandle(openjdk guest.Guest)');
  });
});
