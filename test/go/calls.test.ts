import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIHandle, type MetaFFIModule } from 'metaffi';
import { goGuest } from './guests.js';

let guest: MetaFFIModule;
before(() => {
  guest = new MetaFFIRuntime('go').loadModule(goGuest('guest'));
});

const arr = (t: T, dims: number) => new MetaFFITypeInfo(t, null, dims);

describe('go functions and types', () => {
  it('calls a function without parameters or results', () => {
    const f = guest.loadEntity('callable=NoOp', null, null);
    assert.equal(f(), undefined);
  });

  it('passes int and returns int', () => {
    const add = guest.loadEntity('callable=Add', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    assert.equal(add(3, 4), 7);
    assert.equal(add(-10, 4), -6);
  });

  it('keeps 64-bit precision with bigint', () => {
    const echo = guest.loadEntity('callable=EchoInt64', [T.metaffi_int64_type], [T.metaffi_int64_type]);
    assert.equal(echo(2n ** 62n), 2n ** 62n);
    assert.equal(echo(-(2n ** 63n)), -(2n ** 63n));
    assert.equal(echo(12), 12);
  });

  it('echoes every sized number type', () => {
    const f = guest.loadEntity('callable=Sized',
      [T.metaffi_int8_type, T.metaffi_int16_type, T.metaffi_int32_type, T.metaffi_int64_type, T.metaffi_uint8_type,
        T.metaffi_uint16_type, T.metaffi_uint32_type, T.metaffi_uint64_type, T.metaffi_float32_type, T.metaffi_float64_type],
      [T.metaffi_int8_type, T.metaffi_int16_type, T.metaffi_int32_type, T.metaffi_int64_type, T.metaffi_uint8_type,
        T.metaffi_uint16_type, T.metaffi_uint32_type, T.metaffi_uint64_type, T.metaffi_float32_type, T.metaffi_float64_type]);
    assert.deepEqual(f(-128, -32768, -2147483648, -(2n ** 63n), 255, 65535, 4294967295, 2n ** 64n - 1n, 1.5, Math.PI),
      [-128, -32768, -2147483648, -(2n ** 63n), 255, 65535, 4294967295, 2n ** 64n - 1n, 1.5, Math.PI]);
  });

  it('passes int and uint', () => {
    const f = guest.loadEntity('callable=IntUint', [T.metaffi_int64_type, T.metaffi_uint64_type], [T.metaffi_int64_type, T.metaffi_uint64_type]);
    assert.deepEqual(f(-5, 2n ** 63n), [-5, 2n ** 63n]);
  });

  it('accepts a narrower declared type for a Go int and checks the range of a wider one', () => {
    const narrow = guest.loadEntity('callable=Add', [T.metaffi_int32_type, T.metaffi_int8_type], [T.metaffi_int64_type]);
    assert.equal(narrow(1000, 7), 1007);
    const next = guest.loadEntity('callable=NextByte', [T.metaffi_int64_type], [T.metaffi_uint8_type]);
    assert.equal(next(41), 42);
    assert.throws(() => next(300), /NextByte: argument 1: 300 is out of the range of Go uint8/);
  });

  it('passes bool, byte and rune', () => {
    const not = guest.loadEntity('callable=Not', [T.metaffi_bool_type], [T.metaffi_bool_type]);
    assert.equal(not(true), false);
    const next = guest.loadEntity('callable=NextByte', [T.metaffi_uint8_type], [T.metaffi_uint8_type]);
    assert.equal(next(65), 66);
    const upper = guest.loadEntity('callable=UpperRune', [T.metaffi_int32_type], [T.metaffi_int32_type]);
    assert.equal(upper('ß'.codePointAt(0)!), 'ß'.codePointAt(0)); // no single-rune upper case
    assert.equal(upper('é'.codePointAt(0)!), 'É'.codePointAt(0));
    const upperChar = guest.loadEntity('callable=UpperRune', [T.metaffi_char32_type], [T.metaffi_char32_type]);
    assert.equal(upperChar('q'), 'Q');
    assert.equal(upperChar('ж'), 'Ж');
  });

  it('passes strings both ways, Unicode included', () => {
    const echo = guest.loadEntity('callable=EchoString', [T.metaffi_string8_type], [T.metaffi_string8_type]);
    assert.equal(echo('hello'), 'hello');
    assert.equal(echo(''), '');
    assert.equal(echo('naïve 日本 🎉'), 'naïve 日本 🎉');
    const long = 'x'.repeat(200_000);
    assert.equal(echo(long), long);
  });

  it('passes variadic parameters as an array', () => {
    const concat = guest.loadEntity('callable=Concat', [T.metaffi_string8_type, T.metaffi_string8_array_type], [T.metaffi_string8_type]);
    assert.equal(concat('-', ['a', 'b', 'c']), 'a-b-c');
    assert.equal(concat('-', []), '');
  });

  it('passes and returns numeric slices, typed arrays included', () => {
    const sum = guest.loadEntity('callable=SumInts', [T.metaffi_int64_array_type], [T.metaffi_int64_type]);
    assert.equal(sum([1, 2, 3, 4]), 10);
    assert.equal(sum(new BigInt64Array([5n, 6n])), 11);
    assert.equal(sum([]), 0);
    const big = Array.from({ length: 10_000 }, (_, i) => i);
    assert.equal(sum(big), 49995000);
    const doubles = guest.loadEntity('callable=Doubles', [T.metaffi_float64_array_type], [T.metaffi_float64_array_type]);
    assert.deepEqual(doubles([1, 2.5]), [2, 5]);
    const packed = guest.loadEntity('callable=Doubles', [T.metaffi_float64_packed_array_type], [T.metaffi_float64_packed_array_type]);
    assert.deepEqual(packed(new Float64Array([1, 2])), new Float64Array([2, 4]));
  });

  it('passes []byte, []bool and []string', () => {
    const bytes = guest.loadEntity('callable=Bytes', [T.metaffi_uint8_array_type], [T.metaffi_uint8_array_type]);
    assert.deepEqual(bytes([1, 2, 3]), [3, 2, 1]);
    assert.deepEqual(bytes(new Uint8Array([9, 8])), [8, 9]);
    const bools = guest.loadEntity('callable=Bools', [T.metaffi_bool_array_type], [T.metaffi_bool_array_type]);
    assert.deepEqual(bools([true, false]), [false, true]);
    const words = guest.loadEntity('callable=Words', [T.metaffi_string8_type], [T.metaffi_string8_array_type]);
    assert.deepEqual(words('the quick  fox'), ['the', 'quick', 'fox']);
  });

  it('passes slices of two and three dimensions', () => {
    const matrix = guest.loadEntity('callable=Matrix', [T.metaffi_int64_type, T.metaffi_int64_type], [arr(T.metaffi_int64_array_type, 2)]);
    assert.deepEqual(matrix(2, 3), [[0, 1, 2], [3, 4, 5]]);
    const sum3 = guest.loadEntity('callable=Sum3D', [arr(T.metaffi_int64_array_type, 3)], [T.metaffi_int64_type]);
    assert.equal(sum3([[[1, 2], [3]], [[4], [], [5, 6]]]), 21);
  });

  it('returns several values as an array', () => {
    const divmod = guest.loadEntity('callable=DivMod', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type, T.metaffi_int64_type]);
    assert.deepEqual(divmod(17, 5), [3, 2]);
    const triple = guest.loadEntity('callable=Triple', [T.metaffi_bool_type], [T.metaffi_string8_type, T.metaffi_int64_type, T.metaffi_bool_type]);
    assert.deepEqual(triple(false), ['x', 1, true]);
  });

  it('passes any/interface{} values in', () => {
    const describe = guest.loadEntity('callable=Describe', [T.metaffi_any_type], [T.metaffi_string8_type]);
    assert.equal(describe(5), 'int64:5');
    assert.equal(describe(2.5), 'float64:2.5');
    assert.equal(describe('s'), 'string:s');
    assert.equal(describe(true), 'bool:true');
    assert.equal(describe(null), '<nil>:<nil>');
    assert.equal(describe([1, 'a']), '[]interface {}:[1 a]');
    assert.equal(describe({ k: 1 }), 'map[string]interface {}:map[k:1]');
    assert.equal(describe(new Float64Array([1.5])), '[]float64:[1.5]');
  });

  it('returns any/interface{} values as their natural JS values', () => {
    const anyOf = guest.loadEntity('callable=AnyOf', [T.metaffi_string8_type], [T.metaffi_any_type]);
    assert.equal(anyOf('int'), 5);
    assert.equal(anyOf('string'), 'five');
    assert.equal(anyOf('float'), 2.5);
    assert.equal(anyOf('bool'), true);
    assert.equal(anyOf('none'), null);
    assert.deepEqual(anyOf('slice'), [1, 'two', 3.5]);
    assert.deepEqual(anyOf('ints'), [1, 2, 3]);
    assert.deepEqual(anyOf('map'), { a: 1, b: 'two' });
    const p = anyOf('point');
    assert.ok(p instanceof MetaFFIHandle);
    assert.equal(p.foreignType, '*guest.Point');
    const f = anyOf('func');
    assert.equal(typeof f, 'function');
    assert.equal(f(4), 40);
  });

  it('echoes any values, handles round-tripping to the same Go object', () => {
    const echo = guest.loadEntity('callable=EchoAny', [T.metaffi_any_type], [T.metaffi_any_type]);
    assert.deepEqual(echo([1, [2, 'x']]), [1, [2, 'x']]);
    const newPoint = guest.loadEntity('callable=NewPoint', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_handle_type]);
    const getX = guest.loadEntity('field=Point.X,getter,instance_required', [T.metaffi_handle_type], [T.metaffi_float64_type]);
    const back = echo(newPoint(8, 9));
    assert.equal(getX(back), 8);
    const obj = new (class Box { js = true })();
    assert.equal(echo(obj), obj); // a JS object lent to Go comes back as itself
  });

  it('passes maps, channels and pointers to values as handles', () => {
    const table = guest.loadEntity('callable=Table', null, [T.metaffi_handle_type]);
    const lookup = guest.loadEntity('callable=Lookup', [T.metaffi_handle_type, T.metaffi_string8_type], [T.metaffi_int64_type]);
    const t = table();
    assert.equal(t.foreignType, 'map[string]int');
    assert.equal(lookup(t, 'b'), 2);
    const lookupObj = guest.loadEntity('callable=Lookup', [T.metaffi_any_type, T.metaffi_string8_type], [T.metaffi_int64_type]);
    assert.equal(lookupObj({ z: 26 }, 'z'), 26); // a JS object converts to a Go map
    const tableAny = guest.loadEntity('callable=Table', null, [T.metaffi_any_type]);
    assert.deepEqual(tableAny(), { a: 1, b: 2 }); // declared any: the map's contents
    const channel = guest.loadEntity('callable=Channel', [T.metaffi_int64_type], [T.metaffi_handle_type]);
    const send = guest.loadEntity('callable=Send', [T.metaffi_handle_type, T.metaffi_int64_array_type], null);
    const receive = guest.loadEntity('callable=Receive', [T.metaffi_handle_type], [T.metaffi_int64_array_type]);
    const c = channel(4);
    send(c, [1, 2, 3]);
    assert.deepEqual(receive(c), [1, 2, 3]);
    const intPtr = guest.loadEntity('callable=IntPtr', [T.metaffi_int64_type], [T.metaffi_handle_type]);
    const bump = guest.loadEntity('callable=Bump', [T.metaffi_handle_type], [T.metaffi_int64_type]);
    const p = intPtr(41);
    assert.equal(bump(p), 42);
    assert.equal(bump(p), 43);
  });

  it('a plain JS object fills a struct parameter by field name', () => {
    const mid = guest.loadEntity('callable=Midpoint', [T.metaffi_any_type, T.metaffi_any_type], [T.metaffi_handle_type]);
    const getX = guest.loadEntity('field=Point.X,getter,instance_required', [T.metaffi_handle_type], [T.metaffi_float64_type]);
    assert.equal(getX(mid({ X: 2, Y: 0 }, { X: 4 })), 3);
    assert.throws(() => mid({ Z: 1 }, { X: 1 }), /Go guest.Point has no exported field Z/);
  });

  it('passes slices of handles', () => {
    const points = guest.loadEntity('callable=Points', [T.metaffi_int64_type], [T.metaffi_handle_array_type]);
    const sumX = guest.loadEntity('callable=SumX', [T.metaffi_handle_array_type], [T.metaffi_float64_type]);
    const ps = points(4);
    assert.equal(ps.length, 4);
    assert.ok(ps.every((p: unknown) => p instanceof MetaFFIHandle));
    assert.equal(sumX(ps), 6);
  });

  it('accepts the module path with or without .so, and the golang alias', () => {
    const rt = new MetaFFIRuntime('golang');
    assert.equal(rt.runtimePlugin, 'go');
    const again = rt.loadModule(goGuest('guest') + '.so');
    assert.equal(again.loadEntity('callable=Add', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type])(1, 1), 2);
  });
});
