/**
 * A guest whose go.mod says go 1.18 (test/fixtures/go/hardening): MetaFFI's entity names for
 * accessors, a named integer type declared handle, declared result
 * types enforced at every width, invalid UTF-8, NUL in strings, and the nesting limit (in a
 * child process).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIError, MetaFFIHandle, type MetaFFIModule } from 'metaffi';
import { repoRoot } from '../support/fixtures.js';
import { goGuest } from './guests.js';

let guest: MetaFFIModule;
before(() => {
  guest = new MetaFFIRuntime('go').loadModule(goGuest('hardening'));
});

const H = T.metaffi_handle_type;
const S = T.metaffi_string8_type;
const I64 = T.metaffi_int64_type;
const U64 = T.metaffi_uint64_type;
const F64 = T.metaffi_float64_type;
const A = T.metaffi_any_type;
const arr = (t: number, dims = 1) => new MetaFFITypeInfo(t, null, dims);

function fails(f: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof MetaFFIError, `not a MetaFFIError: ${String(e)}`);
    for (const p of parts) {
      if (typeof p === 'string') assert.ok(e.message.includes(p), `"${e.message}" lacks "${p}"`);
      else assert.match(e.message, p);
    }
    return true;
  });
}

describe('go: a go 1.18 module with MetaFFI entity names', () => {
  it('fields through Type.GetField / Type.SetField, the object first', () => {
    const rec = guest.loadEntity('callable=NewRec', [S], [H])('first');
    const getName = guest.loadEntity('callable=Rec.GetName,instance_required', [H], [S]);
    const setName = guest.loadEntity('callable=Rec.SetName,instance_required', [H, S], null);
    assert.equal(getName(rec), 'first');
    setName(rec, 'second');
    assert.equal(getName(rec), 'second');
    // the field accessor of our own naming sees the same field
    assert.equal(guest.loadEntity('field=Rec.Name,getter,instance_required', [H], [S])(rec), 'second');
  });

  it('a real method of the accessor\'s name wins', () => {
    const rec = guest.loadEntity('callable=NewRec', [S], [H])('x');
    assert.equal(guest.loadEntity('callable=Rec.GetTitle', [H], [S])(rec), 'method:t');
    // the field itself is still reachable as a field
    assert.equal(guest.loadEntity('field=Rec.Title,getter', [H], [S])(rec), 't');
  });

  it('nested objects: Rec.GetInner then Inner.GetValue / Inner.SetValue', () => {
    const rec = guest.loadEntity('callable=NewRec', [S], [H])('x');
    const inner = guest.loadEntity('callable=Rec.GetInner', [H], [H])(rec);
    assert.ok(inner instanceof MetaFFIHandle);
    const getValue = guest.loadEntity('callable=Inner.GetValue', [H], [I64]);
    assert.equal(getValue(inner), 7);
    guest.loadEntity('callable=Inner.SetValue', [H, I64], null)(inner, 9);
    assert.equal(getValue(guest.loadEntity('callable=Rec.GetInner', [H], [H])(rec)), 9);
  });

  it('package variables through GetName / SetName; constants have a getter only', () => {
    const get = guest.loadEntity('callable=GetFiveSeconds', null, [I64]);
    const set = guest.loadEntity('callable=SetFiveSeconds', [I64], null);
    assert.equal(get(), 5);
    set(10);
    assert.equal(get(), 10);
    assert.equal(guest.loadEntity('global=FiveSeconds,getter', null, [I64])(), 10);
    assert.equal(guest.loadEntity('callable=GetAnswer', null, [I64])(), 42);
    fails(() => guest.loadEntity('callable=SetAnswer', [I64], null), 'no function or method SetAnswer');
    fails(() => guest.loadEntity('callable=Rec.GetNothing', [H], [S]), 'no function or method Rec.GetNothing');
  });

  it('a Go named integer declared handle comes back as a handle and is accepted back as the same value', () => {
    const getColor = guest.loadEntity('callable=GetColor', [I64], [H]);
    const colorName = guest.loadEntity('callable=ColorName', [H], [S]);
    const green = getColor(1);
    assert.ok(green instanceof MetaFFIHandle, `got ${String(green)}`);
    assert.equal(colorName(green), 'GREEN');
    assert.equal(colorName(getColor(2)), 'BLUE');
    // declared as numbers it is a number both ways
    assert.equal(guest.loadEntity('callable=GetColor', [I64], [I64])(0), 0);
    assert.equal(guest.loadEntity('callable=ColorName', [I64], [S])(1), 'GREEN');
    // a handle of a Go value of another kind is refused
    const rec = guest.loadEntity('callable=NewRec', [S], [H])('x');
    assert.throws(() => colorName(rec), /ColorName: argument 1/);
  });
});

// declared type, smallest and largest value
const widths: [string, number, bigint, bigint][] = [
  ['int8', T.metaffi_int8_type, -(2n ** 7n), 2n ** 7n - 1n],
  ['int16', T.metaffi_int16_type, -(2n ** 15n), 2n ** 15n - 1n],
  ['int32', T.metaffi_int32_type, -(2n ** 31n), 2n ** 31n - 1n],
  ['int64', T.metaffi_int64_type, -(2n ** 63n), 2n ** 63n - 1n],
  ['uint8', T.metaffi_uint8_type, 0n, 2n ** 8n - 1n],
  ['uint16', T.metaffi_uint16_type, 0n, 2n ** 16n - 1n],
  ['uint32', T.metaffi_uint32_type, 0n, 2n ** 32n - 1n],
  ['uint64', T.metaffi_uint64_type, 0n, 2n ** 64n - 1n],
];

const js = (v: bigint): number | bigint => (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v);
/** The Go echo that can carry v, and its declared parameter type. */
const echoOf = (v: bigint): [string, number] => (v > 2n ** 63n - 1n ? ['U64', U64] : ['I64', I64]);

describe('go: declared result types are enforced', () => {
  for (const [name, code, min, max] of widths) {
    it(`${name} results: the edges pass, one past them is an error naming the value, the type and the result`, () => {
      for (const v of [min, max]) {
        const [fn, p] = echoOf(v);
        const r = guest.loadEntity(`callable=${fn}`, [p], [code])(js(v));
        assert.equal(BigInt(r as number | bigint), v);
      }
      for (const v of [min - 1n, max + 1n]) {
        if (v < -(2n ** 63n) || v >= 2n ** 64n) continue;
        const [fn, p] = echoOf(v);
        fails(() => guest.loadEntity(`callable=${fn}`, [p], [code])(js(v)),
          `${fn}: result 1: ${v} is out of the range of the declared ${name}`);
      }
    });

    it(`${name}[] results: the edges pass, one past them is an error naming the index`, () => {
      const [fn, p] = max > 2n ** 63n - 1n ? ['U64s', U64] : ['I64s', I64];
      const r = guest.loadEntity(`callable=${fn}`, [arr(p)], [arr(code)])([js(min), js(max)]) as ArrayLike<number | bigint>;
      assert.deepEqual(Array.from(r, (x) => BigInt(x)), [min, max]);
      if (min > -(2n ** 63n) || max < 2n ** 63n - 1n) {
        const bad = min < 0n ? min - 1n : max + 1n;
        if (bad < 2n ** 64n) {
          const [fb, pb] = bad > 2n ** 63n - 1n ? ['U64s', U64] : ['I64s', I64];
          fails(() => guest.loadEntity(`callable=${fb}`, [arr(pb)], [arr(code)])([0, js(bad)]),
            `${fb}: result 1: [1]: ${bad} is out of the range of the declared ${name}`);
        }
      }
    });

    it(`${name} parameters of a Go int64/uint64 slice: the edges arrive exactly`, () => {
      const [fn, p] = max > 2n ** 63n - 1n ? ['U64s', U64] : ['I64s', I64];
      const r = guest.loadEntity(`callable=${fn}`, [arr(code)], [arr(p)])([js(min), js(max)]) as ArrayLike<number | bigint>;
      assert.deepEqual(Array.from(r, (x) => BigInt(x)), [min, max]);
    });
  }

  it('2-D results are checked at every element', () => {
    const f = guest.loadEntity('callable=Ints2D', [arr(I64, 2)], [arr(T.metaffi_uint8_type, 2)]);
    assert.deepEqual(f([[0, 255], [1]]).map((r: ArrayLike<number>) => Array.from(r)), [[0, 255], [1]]);
    fails(() => f([[0], [1, -1]]), 'Ints2D: result 1: [1][1]: -1 is out of the range of the declared uint8');
  });

  it('bool results: Go booleans, and the integers 0 and 1; anything else is an error', () => {
    assert.equal(guest.loadEntity('callable=Bool', [T.metaffi_bool_type], [T.metaffi_bool_type])(true), true);
    const fromInt = guest.loadEntity('callable=I64', [I64], [T.metaffi_bool_type]);
    assert.equal(fromInt(0), false);
    assert.equal(fromInt(1), true);
    fails(() => fromInt(300), 'I64: result 1: 300 does not fit the declared bool');
    fails(() => fromInt(-1), 'I64: result 1: -1 does not fit the declared bool');
    fails(() => guest.loadEntity('callable=Text', null, [T.metaffi_bool_type])(), 'Text: result 1: the declared bool cannot hold the Go string "x"');
    fails(() => guest.loadEntity('callable=Text', null, [T.metaffi_int8_type])(), 'Text: result 1: the declared int8 cannot hold the Go string "x"');
  });

  it('a Go any is checked against the declared type of the value it holds', () => {
    const any8 = guest.loadEntity('callable=Any', [I64], [T.metaffi_uint8_type]);
    assert.equal(any8(255), 255);
    fails(() => any8(256), 'Any: result 1: 256 is out of the range of the declared uint8');
    fails(() => guest.loadEntity('callable=Any', [S], [I64])('7'), 'the declared int64 cannot hold the Go string "7"');
  });

  it('float32 results: rounding is normal, finite values beyond float32 are errors, Infinity and NaN pass', () => {
    const f32 = guest.loadEntity('callable=F64', [F64], [T.metaffi_float32_type]);
    assert.equal(f32(0.1), Math.fround(0.1));
    assert.equal(f32(3.4028234663852886e38), 3.4028234663852886e38);
    assert.equal(f32(-Infinity), -Infinity);
    assert.ok(Number.isNaN(f32(NaN)));
    fails(() => f32(1e300), 'F64: result 1: 1e+300 is out of the range of the declared float32');
    fails(() => f32(-3.5e38), 'out of the range of the declared float32');
    const f32s = guest.loadEntity('callable=F64s', [arr(F64)], [arr(T.metaffi_float32_type)]);
    assert.deepEqual(Array.from(f32s([1.5, -2])), [1.5, -2]);
    fails(() => f32s([1, 1e39]), 'F64s: result 1: [1]: 1e+39 is out of the range of the declared float32');
  });

  it('a float declared as an integer must be integral and in range', () => {
    const f = guest.loadEntity('callable=F64', [F64], [T.metaffi_int32_type]);
    assert.equal(f(-2), -2);
    fails(() => f(2.5), 'F64: result 1: 2.5 is not an integer (declared int32)');
    fails(() => f(2 ** 31), 'is out of the range of the declared int32');
  });

  it('Go strings that are not valid UTF-8 are errors naming the byte offset, not U+FFFD', () => {
    for (const t of [S, T.metaffi_string32_type, T.metaffi_string16_type]) {
      fails(() => guest.loadEntity('callable=BadUTF8', null, [t])(), 'BadUTF8: result 1: the Go string is not valid UTF-8 (at byte offset 2)');
    }
    fails(() => guest.loadEntity('callable=BadUTF8Any', null, [A])(), 'BadUTF8Any: result 1: [1]: the Go string is not valid UTF-8 (at byte offset 0)');
  });

  it('Go strings that are not valid UTF-8 passed to a JS function are errors, and the function is not called', () => {
    let called = 0;
    const cb = (s: unknown) => { called++; return s; };
    assert.throws(() => guest.loadEntity('callable=CallWithBad', [T.metaffi_callable_type], [S])(cb),
      /argument 1: the Go string is not valid UTF-8 \(at byte offset 1\)/);
    assert.throws(() => guest.loadEntity('callable=CallAnyWithBad', [T.metaffi_callable_type], [A])(cb),
      /argument 1: \[0\]: the Go string is not valid UTF-8 \(at byte offset 0\)/);
    assert.equal(called, 0);
  });

  it('NUL characters inside strings round-trip both ways', () => {
    const str = guest.loadEntity('callable=Str', [S], [S]);
    for (const s of ['\0', 'a\0b', '\0\0x\0', 'é\0€\0😀']) assert.equal(str(s), s);
    assert.equal(guest.loadEntity('callable=Str', [T.metaffi_string16_type], [T.metaffi_string16_type])('x\0y'), 'x\0y');
    assert.equal(guest.loadEntity('callable=NulString', null, [S])(), 'a\0b\0');
    assert.deepEqual(guest.loadEntity('callable=NulStrings', null, [arr(S)])(), ['\0', 'x\0y']);
    assert.deepEqual(guest.loadEntity('callable=Strs', [arr(S)], [arr(S)])(['\0', 'p\0q']), ['\0', 'p\0q']);
    assert.equal(guest.loadEntity('callable=Any', [A], [A])('n\0ul'), 'n\0ul');
  });

  it('NUL in an entity name or a module path is a TypeError, never a shorter name', () => {
    assert.throws(() => guest.loadEntity('callable=I64\0evil', [I64], [I64]), (e: unknown) => e instanceof TypeError && /NUL/.test(e.message));
    assert.throws(() => guest.loadEntity('field=Rec.Name\0x,getter', [H], [S]), (e: unknown) => e instanceof TypeError && /NUL/.test(e.message));
    assert.throws(() => new MetaFFIRuntime('go').loadModule(goGuest('hardening') + '\0.so'), (e: unknown) => e instanceof TypeError && /NUL/.test(e.message));
  });
});

describe('go: nesting depth (in a child process)', () => {
  it('values Go builds deeper than 256 levels are errors naming the path; 256 levels work; the process goes on', () => {
    const child = join(repoRoot, '.build', 'test', 'go', 'depth_child.js');
    const r = spawnSync(process.execPath, ['--stack-size=4000', child], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, METAFFI_TEST_GUEST: goGuest('hardening') },
    });
    assert.equal(r.signal, null, `the process died of ${r.signal}:\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const out = r.stdout;
    const deep = 'result 1 is nested deeper than 256 levels (at [0][0][0][0]...); flatten it or pass a handle';
    const deepMap = 'result 1 is nested deeper than 256 levels (at [k][k][k][k]...); flatten it or pass a handle';
    assert.match(out, /^go-nest 256 ok 256$/m);
    assert.match(out, /^go-map 256 ok 256$/m);
    for (const n of [257, 1000, 30000]) {
      assert.ok(out.includes(`go-nest ${n} error MetaFFIError Nest: ${deep}`), out);
      assert.ok(out.includes(`go-map ${n} error MetaFFIError NestMap: ${deepMap}`), out);
    }
    assert.ok(out.includes(`self error MetaFFIError SelfRef: ${deep}`), out);
    assert.match(out, /^js-in 255 ok 255$/m);
    assert.match(out, /^js-in 256 ok 256$/m);
    assert.match(out, /^after ok 3$/m);
  });
});
