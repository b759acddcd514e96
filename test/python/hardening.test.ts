/**
 * The python3 plugin against hostile values: nesting beyond METAFFI_MAX_DEPTH (in a child
 * process, so a stack overflow would be a failed test rather than a dead runner), declared
 * types enforced and range-checked in both directions for every width, strings that are not
 * Unicode, NUL characters inside strings, and errors that pass through Python unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIError } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { runScript } from '../support/subprocess.js';

const hostilePath = fixture('python', 'hostile.py');
const runtime = new MetaFFIRuntime('python3');
const hostile = runtime.loadModule(hostilePath);
const S8 = T.metaffi_string8_type;
const A = T.metaffi_any_type;

/** evaluate(expr) declared to return `t`: any Python value as any declared type. */
const returning = (t: T | MetaFFITypeInfo) => hostile.loadEntity('callable=evaluate', [S8], [t]);
/** repr_of(x) with x declared as `t`: exactly what arrived in Python. */
const reprAs = (t: T | MetaFFITypeInfo) => hostile.loadEntity('callable=repr_of', [t], [S8]);

describe('python3 nesting limit (in a child process)', () => {
  it('values nested deeper than 256 levels are errors naming where, in every direction; 256 levels work', () => {
    const r = runScript('py-depth', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const h = new MetaFFIRuntime('python3').loadModule(${JSON.stringify(hostilePath)});
      const S8 = T.metaffi_string8_type, A = T.metaffi_any_type;
      const out = {};
      const attempt = (name, f) => {
        try { const v = f(); out[name] = { value: typeof v === 'object' ? JSON.stringify(v).length : v }; }
        catch (e) { out[name] = { error: e.name, message: e.message }; }
      };
      const ret = h.loadEntity('callable=evaluate', [S8], [A]);
      attempt('list256', () => ret('nested_list(256)'));
      attempt('list257', () => ret('nested_list(257)'));
      attempt('list30000', () => ret('nested_list(30000)'));
      attempt('dict256', () => ret('nested_dict(256)'));
      attempt('dict30000', () => ret('nested_dict(30000)'));
      attempt('selfList', () => ret('self_list()'));
      attempt('selfDict', () => ret('self_dict()'));
      attempt('selfInside', () => ret('[1, [2, self_list()]]'));
      const typed = h.loadEntity('callable=evaluate', [S8], [{ type: T.metaffi_any_array_type, dims: 1 }]);
      attempt('typedSelf', () => typed('self_list()'));
      let deep = 1;
      for (let i = 0; i < 300; i++) deep = [deep];
      let ok = 1;
      for (let i = 0; i < 256; i++) ok = [ok];
      const depthOf = h.loadEntity('callable=depth_of', [A], [T.metaffi_int64_type]);
      attempt('arg256', () => depthOf(ok));
      attempt('arg300', () => depthOf(deep));
      const passTo = h.loadEntity('callable=pass_to', [T.metaffi_callable_type, S8], [S8]);
      attempt('cbArg300', () => passTo(() => 0, 'nested_list(300)'));
      attempt('cbArgSelf', () => passTo(() => 0, 'self_list()'));
      attempt('cbArg256', () => passTo(() => 0, 'nested_list(256)'));
      attempt('caught', () => h.loadEntity('callable=catch_deep', [T.metaffi_callable_type], [S8])(() => 0));
      const resultOf = h.loadEntity('callable=result_of', [T.metaffi_callable_type], [S8]);
      attempt('cbRet256', () => resultOf(() => ok));
      attempt('cbRet300', () => resultOf(() => deep));
      attempt('after', () => ret('[[1, 2], {"a": 3}]'));
      console.log(JSON.stringify(out));
    `);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, { value?: unknown; error?: string; message?: string }>;
    const tooDeep = (name: string, place: string, path: RegExp) => {
      assert.equal(out[name]!.error, 'MetaFFIError', `${name}: ${JSON.stringify(out[name])}`);
      assert.match(out[name]!.message!, new RegExp(`^${place} is nested deeper than 256 levels \\(at ${path.source}\\); flatten it or pass a handle$`), name);
    };
    assert.deepEqual(out.list256, { value: 256 * 2 + 1 });
    tooDeep('list257', 'return value', /\[0\]\[0\]\[0\]\[0\]\.\.\./);
    tooDeep('list30000', 'return value', /\[0\]\[0\]\[0\]\[0\]\.\.\./);
    assert.equal(typeof out.dict256!.value, 'number');
    tooDeep('dict30000', 'return value', /\[0\]\[0\]\[0\]\[0\]\.\.\./);
    tooDeep('selfList', 'return value', /\[0\]\[0\]\[0\]\[0\]\.\.\./);
    tooDeep('selfDict', 'return value', /\[0\]\[0\]\[0\]\[0\]\.\.\./);
    tooDeep('selfInside', 'return value', /\[1\]\[1\]\[0\]\[0\]\.\.\./);
    tooDeep('typedSelf', 'return value', /\[0\]\[0\]\[0\]\[0\]\.\.\./);
    assert.deepEqual(out.arg256, { value: 256 });
    // The core may refuse it first (a RangeError) or the plugin (a MetaFFIError): either way
    // the message names the limit.
    assert.match(out.arg300!.message ?? '', /nested deeper than 256 levels/);
    assert.ok(out.arg300!.error === 'MetaFFIError' || out.arg300!.error === 'RangeError', JSON.stringify(out.arg300));
    // Python passing too deep a value to a JS function gets a Python exception it can catch.
    assert.match(String(out.cbArg300!.value), /^MetaFFIError: argument 1 is nested deeper than 256 levels \(at \[0\]\[0\]\[0\]\[0\]\.\.\.\)/);
    assert.match(String(out.cbArgSelf!.value), /^MetaFFIError: argument 1 is nested deeper than 256 levels/);
    assert.deepEqual(out.cbArg256, { value: 'no error' });
    assert.match(String(out.caught!.value), /^caught: argument 1 is nested deeper than 256 levels/);
    assert.deepEqual(out.cbRet256, { value: 'depth 256' });
    assert.match(String(out.cbRet300!.value ?? out.cbRet300!.message), /nested deeper than 256 levels/);
    assert.deepEqual(out.after, { value: JSON.stringify([[1, 2], { a: 3 }]).length });
  });
});

describe('python3 JS<->Python recursion (in a child process)', () => {
  it('recursing through Python until the JS stack is exhausted ends in an error that keeps the RangeError, not a crash', () => {
    const r = runScript('py-recursion', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const h = new MetaFFIRuntime('python3').loadModule(${JSON.stringify(hostilePath)});
      const rec = h.loadEntity('callable=recurse_through', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_any_type]);
      let levels = 0;
      function g(n) { levels++; return rec(g, n); }
      const out = {};
      for (let round = 0; round < 3; round++) {
        levels = 0;
        try { g(1e9); out.result = 'returned'; } catch (e) {
          const chain = [];
          for (let c = e; c !== undefined && chain.length < 10000; c = c.cause) chain.push(c instanceof Error ? c.name + ': ' + c.message : String(c));
          out.levels = levels;
          out.top = e instanceof Error ? e.name : typeof e;
          out.bottom = chain.at(-1);
        }
      }
      out.after = rec((n) => n * 2, 21);
      console.log(JSON.stringify(out));
    `);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { levels: number; top: string; bottom: string; after: number };
    assert.ok(out.levels > 10, JSON.stringify(out));
    assert.ok(out.top === 'MetaFFIError' || out.top === 'RangeError', JSON.stringify(out));
    assert.match(out.bottom, /RangeError: Maximum call stack size exceeded/);
    assert.equal(out.after, 40);
  });
});

type Width = { t: T; arr: T; min: bigint; max: bigint; name: string };
const widths: Width[] = [
  { t: T.metaffi_int8_type, arr: T.metaffi_int8_array_type, min: -128n, max: 127n, name: 'int8' },
  { t: T.metaffi_int16_type, arr: T.metaffi_int16_array_type, min: -32768n, max: 32767n, name: 'int16' },
  { t: T.metaffi_int32_type, arr: T.metaffi_int32_array_type, min: -(2n ** 31n), max: 2n ** 31n - 1n, name: 'int32' },
  { t: T.metaffi_int64_type, arr: T.metaffi_int64_array_type, min: -(2n ** 63n), max: 2n ** 63n - 1n, name: 'int64' },
  { t: T.metaffi_uint8_type, arr: T.metaffi_uint8_array_type, min: 0n, max: 255n, name: 'uint8' },
  { t: T.metaffi_uint16_type, arr: T.metaffi_uint16_array_type, min: 0n, max: 65535n, name: 'uint16' },
  { t: T.metaffi_uint32_type, arr: T.metaffi_uint32_array_type, min: 0n, max: 2n ** 32n - 1n, name: 'uint32' },
  { t: T.metaffi_uint64_type, arr: T.metaffi_uint64_array_type, min: 0n, max: 2n ** 64n - 1n, name: 'uint64' },
  { t: T.metaffi_size_type, arr: T.metaffi_size_array_type, min: 0n, max: 2n ** 64n - 1n, name: 'size' },
];
/** How the core hands a 64-bit integer to JS: a number when it is safe, else a bigint. */
const js = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

describe('python3 declared integer types, every width at its limits', () => {
  for (const w of widths) {
    it(`${w.name}: returns at min and max pass, min-1 and max+1 are errors naming value, type and position`, () => {
      const f = returning(w.t);
      assert.equal(f(`${w.min}`), js(w.min));
      assert.equal(f(`${w.max}`), js(w.max));
      for (const bad of [w.min - 1n, w.max + 1n]) {
        assert.throws(() => f(`${bad}`), (e: unknown) => {
          assert.ok(e instanceof MetaFFIError);
          assert.equal(e.message, `OverflowError: return value: Python gave ${bad}, out of the range of ${w.name}`);
          return true;
        });
      }
      const arr = returning(w.arr);
      const back = arr(`[${w.min}, ${w.max}]`);
      assert.deepEqual(w.name === 'uint8' ? Array.from(back as Uint8Array) : back, [js(w.min), js(w.max)]);
      assert.throws(() => arr(`[${w.min}, ${w.max + 1n}]`), { name: 'MetaFFIError', message: `OverflowError: return value[1]: Python gave ${w.max + 1n}, out of the range of ${w.name}` });
      assert.throws(() => arr(`[${w.min - 1n}]`), { name: 'MetaFFIError', message: new RegExp(`return value\\[0\\]: Python gave ${w.min - 1n}, out of the range of ${w.name}`) });
      const two = returning(new MetaFFITypeInfo(w.arr, undefined, 2));
      assert.throws(() => two(`[[${w.min}], [0, ${w.max + 1n}]]`), { name: 'MetaFFIError', message: new RegExp(`return value\\[1\\]\\[1\\]: Python gave ${w.max + 1n}`) });
    });

    it(`${w.name}: parameters at min and max arrive exactly, min-1 and max+1 are refused`, () => {
      const f = reprAs(w.t);
      assert.equal(f(w.min), `${w.min}`);
      assert.equal(f(w.max), `${w.max}`);
      assert.equal(f(js(w.max)), `${w.max}`);
      for (const bad of [w.min - 1n, w.max + 1n]) assert.throws(() => f(bad), { name: 'TypeError', message: /out of its range/ });
      const arr = reprAs(w.arr);
      assert.equal(arr([js(w.min), js(w.max)]), w.name === 'uint8' ? `b'\\x00\\xff'` : `[${w.min}, ${w.max}]`);
      assert.throws(() => arr([js(w.min), js(w.max + 1n)]), { name: 'TypeError', message: /argument 1\[1\]: .*out of its range/ });
      assert.throws(() => arr([js(w.min - 1n)]), { name: 'TypeError', message: /argument 1\[0\]: .*out of its range/ });
    });
  }

  it('an int beyond 64 bits and one too long to print are range errors too', () => {
    assert.throws(() => returning(T.metaffi_uint64_type)('2**64'), { name: 'MetaFFIError', message: /Python gave 18446744073709551616, out of the range of uint64/ });
    assert.throws(() => returning(T.metaffi_int64_type)('10**5000'), { name: 'MetaFFIError', message: /Python gave an int of 16610 bits, out of the range of int64/ });
  });
});

describe('python3 declared bool, float and other kinds', () => {
  it('bool accepts True, False, 0 and 1; 300, -1 and other kinds are errors', () => {
    const f = returning(T.metaffi_bool_type);
    assert.equal(f('True'), true);
    assert.equal(f('False'), false);
    assert.equal(f('1'), true);
    assert.equal(f('0'), false);
    assert.throws(() => f('300'), { name: 'MetaFFIError', message: 'OverflowError: return value: Python gave 300, out of the range of bool' });
    assert.throws(() => f('-1'), { name: 'MetaFFIError', message: /Python gave -1, out of the range of bool/ });
    assert.throws(() => f('2**70'), { name: 'MetaFFIError', message: /out of the range of bool/ });
    for (const [expr, got] of [['"x"', 'str'], ['None', 'NoneType'], ['1.0', 'float'], ['[True]', 'list']]) {
      assert.throws(() => f(expr!), { name: 'MetaFFIError', message: `TypeError: return value: expected a bool, Python gave ${got}` });
    }
    assert.deepEqual(returning(T.metaffi_bool_array_type)('[True, 0, 1]'), [true, false, true]);
    assert.throws(() => returning(T.metaffi_bool_array_type)('[True, 2]'), { name: 'MetaFFIError', message: /return value\[1\]: Python gave 2, out of the range of bool/ });
  });

  it('float32: finite values beyond its range are errors; infinities, NaN and rounding pass', () => {
    const f = returning(T.metaffi_float32_type);
    assert.equal(f('3.4028234663852886e38'), 3.4028234663852886e38);
    assert.equal(f('0.1'), Math.fround(0.1));
    assert.equal(f('float("inf")'), Infinity);
    assert.equal(f('float("-inf")'), -Infinity);
    assert.ok(Number.isNaN(f('float("nan")')));
    assert.equal(f('7'), 7);
    assert.equal(Object.is(f('-0.0'), -0), true);
    for (const bad of ['1e39', '-1e39', '1e300', '10**50']) {
      assert.throws(() => f(bad), { name: 'MetaFFIError', message: /OverflowError: return value: Python gave .*, out of the range of float32/ });
    }
    assert.throws(() => returning(T.metaffi_float32_array_type)('[1.0, 1e40]'), { name: 'MetaFFIError', message: /return value\[1\]: Python gave 1e\+40, out of the range of float32/ });
    assert.throws(() => returning(T.metaffi_float64_type)('10**400'), { name: 'MetaFFIError', message: /out of the range of float64/ });
    assert.equal(returning(T.metaffi_float64_type)('1e308'), 1e308);
  });

  it('values of the wrong kind are TypeErrors naming what Python gave', () => {
    const cases: [T | MetaFFITypeInfo, string, RegExp][] = [
      [T.metaffi_int64_type, '"12"', /expected an int, Python gave str/],
      [T.metaffi_int32_type, '1.0', /expected an int, Python gave float/],
      [T.metaffi_uint8_type, 'None', /expected an int, Python gave NoneType/],
      [T.metaffi_float64_type, '"1.5"', /expected a float, Python gave str/],
      [T.metaffi_float64_type, 'None', /expected a float, Python gave NoneType/],
      [S8, '5', /expected a str, Python gave int/],
      [T.metaffi_char8_type, '"ab"', /expected a str of length 1/],
      [T.metaffi_callable_type, '5', /expected a callable, Python gave int/],
      [T.metaffi_null_type, '5', /expected None \(the declared type is null\), Python gave int/],
      [T.metaffi_int64_array_type, '"abc"', /expected a sequence \(list or tuple\), Python gave str/],
      [T.metaffi_string8_array_type, '{"a": 1}', /expected a sequence \(list or tuple\), Python gave dict/],
      [T.metaffi_int64_array_type, '5', /expected a sequence/],
      [T.metaffi_int64_array_type, '__import__("itertools").count()', /expected a sequence \(list or tuple\), Python gave itertools.count/],
      [T.metaffi_int64_array_type, '(i for i in range(3))', /expected a sequence \(list or tuple\), Python gave generator/],
      [T.metaffi_int64_array_type, '[1, "2"]', /return value\[1\]: expected an int, Python gave str/],
    ];
    for (const [t, expr, message] of cases) {
      assert.throws(() => returning(t)(expr), (e: unknown) => {
        assert.ok(e instanceof MetaFFIError, String(e));
        assert.match(e.message, /^TypeError: return value/);
        assert.match(e.message, message);
        return true;
      }, expr);
    }
  });

  it('arrays may be returned as lists, tuples, other sequences and sets', () => {
    assert.deepEqual(returning(T.metaffi_int64_array_type)('(1, 2)'), [1, 2]);
    assert.deepEqual(returning(T.metaffi_int64_array_type)('range(3)'), [0, 1, 2]);
    assert.deepEqual(returning(T.metaffi_int64_array_type)('{7}'), [7]);
    assert.deepEqual(returning(T.metaffi_uint8_array_type)('bytearray(b"ab")'), [97, 98]);
  });

  it('characters a char type cannot carry are errors', () => {
    assert.equal(returning(T.metaffi_char8_type)('"a"'), 'a');
    assert.equal(returning(T.metaffi_char16_type)('"ß"'), 'ß');
    assert.equal(returning(T.metaffi_char32_type)('"🎉"'), '🎉');
    assert.throws(() => returning(T.metaffi_char8_type)('"é"'), { name: 'MetaFFIError', message: /U\+00E9, which char8 cannot carry/ });
    assert.throws(() => returning(T.metaffi_char16_type)('"🎉"'), { name: 'MetaFFIError', message: /U\+1F389, which char16 cannot carry/ });
    assert.throws(() => returning(T.metaffi_char32_type)('"\\ud800"'), { name: 'MetaFFIError', message: /U\+D800, which char32 cannot carry/ });
  });
});

describe('python3 strings', () => {
  it('a str with a lone surrogate is an error for string8 and string32, naming index and byte offset', () => {
    for (const t of [S8, T.metaffi_string32_type]) {
      const name = t === S8 ? 'string8' : 'string32';
      assert.throws(() => returning(t)('"ab\\ud800c"'), { name: 'MetaFFIError', message: `UnicodeEncodeError: return value: the str has a lone surrogate U+D800 at index 2 (byte offset 2 in UTF-8), which ${name} cannot carry; declare string16 to keep it, or fix the text` });
      assert.throws(() => returning(t)('"é🎉\\udc00"'), { name: 'MetaFFIError', message: /lone surrogate U\+DC00 at index 2 \(byte offset 6 in UTF-8\)/ });
      assert.throws(() => returning(new MetaFFITypeInfo(t === S8 ? T.metaffi_string8_array_type : T.metaffi_string32_array_type))('["ok", "\\udfff"]'), { name: 'MetaFFIError', message: /return value\[1\]: the str has a lone surrogate U\+DFFF at index 0/ });
    }
  });

  it('string16 carries lone surrogates exactly, both ways; any returns them exactly', () => {
    assert.equal(returning(T.metaffi_string16_type)('"ab\\ud800c"'), 'ab\ud800c');
    assert.equal(returning(A)('"\\udc00x"'), '\udc00x');
    assert.deepEqual(returning(T.metaffi_string16_array_type)('["\\ud800", "ok"]'), ['\ud800', 'ok']);
    assert.equal(reprAs(T.metaffi_string16_type)('a\ud800'), `'a\\ud800'`);
  });

  it('NUL characters inside string values round-trip in every width, in arrays, maps and any', () => {
    const samples = ['\0', 'a\0b', '\0\0end', 'emoji 🎉\0 after'];
    for (const t of [S8, T.metaffi_string16_type, T.metaffi_string32_type, A]) {
      const echo = hostile.loadEntity('callable=evaluate', [S8], [t]);
      for (const s of samples) {
        assert.equal(reprAs(t)(s), JSON.stringify(s).replace(/\\u0000/g, '\\x00').replace(/^"|"$/g, "'"));
        assert.equal(echo(`${JSON.stringify(s)}`), s);
      }
    }
    for (const t of [T.metaffi_string8_array_type, T.metaffi_string16_array_type, T.metaffi_string32_array_type, T.metaffi_any_array_type]) {
      const echo = hostile.loadEntity('callable=evaluate', [S8], [t]);
      assert.deepEqual(echo(JSON.stringify(samples)), samples);
      assert.equal(reprAs(t)(samples), `['\\x00', 'a\\x00b', '\\x00\\x00end', 'emoji 🎉\\x00 after']`);
    }
    assert.deepEqual(returning(A)('{"k\\0ey": "v\\0al"}'), { 'k\0ey': 'v\0al' });
    assert.equal(reprAs(A)({ 'k\0': '\0v' }), `{'k\\x00': '\\x00v'}`);
  });
});

describe('python3 paths and names', () => {
  it('the helper refuses NUL characters in module paths and entity path items, whoever calls it', () => {
    const errors = hostile.loadEntity('callable=helper_nul_errors', null, [T.metaffi_string8_array_type])() as string[];
    assert.deepEqual(errors, [
      "the module path 'os\\x00.py' contains a NUL character; remove it",
      "the entity path item 'callable=evaluate\\x00evil' contains a NUL character; remove it",
      "the entity path item 'varargs\\x00' contains a NUL character; remove it",
    ]);
  });
});

describe('python3 errors passing through', () => {
  const rec = hostile.loadEntity('callable=recurse_through', [T.metaffi_callable_type, T.metaffi_int64_type], [A]);

  it('an error of the core or another runtime raised in Python leaves Python with its own type and message', () => {
    const guest = runtime.loadModule(fixture('python', 'guest.py'));
    const callWith = guest.loadEntity('callable=call_with', [T.metaffi_callable_type, A], [A]);
    assert.throws(() => callWith(() => Symbol('s'), 1), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.foreignType, 'TypeError');
      assert.match(e.message, /^TypeError: the JS callback returned a wrong value: /);
      assert.doesNotMatch(e.message, /ForeignError|TypeError: TypeError/);
      return true;
    });
  });

  it('a JS error thrown under nested JS<->Python calls comes back as the original error, named once', () => {
    const original = new RangeError('bottom reached');
    function f(n: number): unknown {
      if (n === 0) throw original;
      return rec(f, n);
    }
    for (const depth of [1, 5, 50]) {
      assert.throws(() => f(depth), (e: unknown) => {
        let c: unknown = e;
        while (c instanceof MetaFFIError && c.cause !== undefined) c = c.cause;
        assert.equal(c, original);
        assert.ok(e instanceof Error);
        assert.doesNotMatch(e.message, /Error: \w*Error:/);
        assert.match(e.message, /RangeError: bottom reached$/);
        return true;
      });
    }
  });
});
