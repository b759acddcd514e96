import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIError, MetaFFIHandle, MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo } from 'metaffi';
import { guestClasses } from '../support/java.js';
import { runScript } from '../support/subprocess.js';
import { sanitizerRssSlackMiB, sanitizerStackFactor } from '../sanitize.js';

const S = T.metaffi_string8_type;
const I32 = T.metaffi_int32_type;
const I64 = T.metaffi_int64_type;
const A = T.metaffi_any_type;
const H = T.metaffi_handle_type;
const C = T.metaffi_callable_type;
const F32 = T.metaffi_float32_type;
const F64 = T.metaffi_float64_type;

const classes = guestClasses();
const jvm = new MetaFFIRuntime('openjdk');
const guest = jvm.loadModule(classes);
type Spec = number | MetaFFITypeInfo;
const hard = (name: string, params: Spec[] | null, rets: Spec[] | null) =>
  guest.loadEntity(`class=guest.Hardening,callable=${name}`, params, rets);
const echo = (name: string, params: Spec[] | null, rets: Spec[] | null) =>
  guest.loadEntity(`class=guest.Guest,callable=${name}`, params, rets);
const list = (v: unknown): unknown[] => Array.from(v as ArrayLike<unknown>);

/** The error, or one of the errors it wraps, that is an instance of `cls`. */
function findInChain(e: unknown, cls: new (...a: never[]) => Error): Error | undefined {
  let x: unknown = e;
  for (let i = 0; x instanceof Error && i < 1000; i++) {
    if (x instanceof cls) return x;
    x = (x as Error).cause;
  }
  return undefined;
}

describe('openjdk: nesting depth', () => {
  it('256 levels pass, deeper is an error naming where (256, 257, 1000, 30000; a child process)', () => {
    const r = runScript('jdk-depth', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('openjdk').loadModule(${JSON.stringify(classes)});
      const f = (n, p, r) => m.loadEntity('class=guest.Hardening,callable=' + n, p, r);
      const nest = f('nest', [T.metaffi_int32_type], [T.metaffi_any_type]);
      const depthOf = f('depthOf', [T.metaffi_any_type], [T.metaffi_int32_type]);
      const toCallback = f('nestToCallback', [T.metaffi_callable_type, T.metaffi_int32_type], [T.metaffi_any_type]);
      const jsDepth = (x) => { let k = 0; while (Array.isArray(x)) { x = x[0]; k++; } return k; };
      const jsNest = (d) => { let o = 1; for (let i = 0; i < d; i++) o = [o]; return o; };
      const out = (label, fn) => {
        try { console.log(label, 'ok', fn()); }
        catch (e) { console.log(label, 'error', e.constructor.name, JSON.stringify(e.message)); }
      };
      for (const d of [256, 257, 1000, 30000]) out('java->js ' + d, () => jsDepth(nest(d)));
      for (const d of [256, 257, 1000]) out('js->java ' + d, () => depthOf(jsNest(d)));
      for (const d of [256, 257, 1000, 30000]) out('callback ' + d, () => toCallback((x) => jsDepth(x), d));
      console.log('alive', depthOf(jsNest(3)));
    `);
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
    const lines = new Map(r.stdout.trim().split('\n').map((l) => [l.split(' ').slice(0, 2).join(' '), l]));
    const deep = /nested deeper than 256 levels \(at \[0\]\[0\]\[0\]\[0\]\.\.\.\); flatten it or pass a handle/;
    assert.match(lines.get('java->js 256') ?? '', / ok 256$/);
    assert.match(lines.get('js->java 256') ?? '', / ok 256$/);
    assert.match(lines.get('callback 256') ?? '', / ok 256$/);
    for (const d of [257, 1000, 30000]) {
      const ret = lines.get(`java->js ${d}`) ?? '';
      assert.match(ret, / error MetaFFIError "return value is nested deeper/);
      assert.match(ret, deep);
      const cb = lines.get(`callback ${d}`) ?? '';
      assert.match(cb, / error MetaFFIError .*argument 1 of the foreign function is nested deeper/);
      assert.match(cb, deep);
    }
    for (const d of [257, 1000]) {
      // the core may refuse it first (a RangeError); either way the message says where
      const arg = lines.get(`js->java ${d}`) ?? '';
      assert.match(arg, / error (MetaFFIError|RangeError) .*argument 1 is nested deeper/);
      assert.match(arg, deep);
    }
    assert.match(r.stdout, /alive 3/);
  });

  // twice the stack under METAFFI_SANITIZE=address, whose frames are twice as large (sanitize.ts)
  const threadStackKiB = 256 * sanitizerStackFactor();
  it(`a Java thread with a ${threadStackKiB} KiB stack converts 256 levels both ways, and refuses 257`, async () => {
    const start = hard('deepOnThread', [C, I32, I32], null);
    const result = hard('threadResult', null, [S]) as () => string | null;
    const jsNest = (x: unknown, d: number): unknown => { for (let i = 0; i < d; i++) x = [x]; return x; };
    const run = async (depth: number, answer: (x: unknown) => unknown): Promise<string> => {
      start(answer, depth, threadStackKiB);
      for (let i = 0; i < 10_000 && result() === null; i++) await new Promise((r) => setTimeout(r, 2));
      return result() ?? 'no result';
    };
    assert.equal(await run(256, (x) => x), 'depth 256');
    assert.match(await run(257, (x) => x), /argument 1 of the foreign function is nested deeper than 256 levels/);
    assert.equal(await run(1, () => jsNest(1, 256)), 'depth 256');
  });

  it('maps count as levels too', () => {
    const depthOf = hard('depthOf', [A], [I32]);
    let o: unknown = 1;
    for (let i = 0; i < 300; i++) o = i % 2 ? [o] : { k: o };
    assert.throws(() => depthOf(o), /argument 1 is nested deeper than 256 levels/);
  });
});

describe('openjdk: unsigned types keep their bits', () => {
  it('scalars of every width at their edges, both directions', () => {
    const u8 = echo('echoByte', [T.metaffi_uint8_type], [T.metaffi_uint8_type]);
    for (const v of [0, 1, 127, 128, 254, 255]) assert.equal(u8(v), v);
    const u16 = echo('echoShort', [T.metaffi_uint16_type], [T.metaffi_uint16_type]);
    for (const v of [0, 32767, 32768, 65535]) assert.equal(u16(v), v);
    const u32 = echo('echoInt', [T.metaffi_uint32_type], [T.metaffi_uint32_type]);
    for (const v of [0, 2147483647, 2147483648, 4294967295]) assert.equal(u32(v), v);
    const u64 = echo('echoLong', [T.metaffi_uint64_type], [T.metaffi_uint64_type]);
    assert.equal(u64(0), 0);
    assert.equal(u64(2n ** 63n), 9223372036854775808n);
    assert.equal(u64(2n ** 64n - 1n), 18446744073709551615n);
    const size = echo('echoLong', [T.metaffi_size_type], [T.metaffi_size_type]);
    assert.equal(size(2n ** 64n - 1n), 18446744073709551615n);
    // a signed Java value of the same width, returned as unsigned
    assert.equal(echo('echoByte', [T.metaffi_int8_type], [T.metaffi_uint8_type])(-1), 255);
    assert.equal(echo('echoShort', [T.metaffi_int16_type], [T.metaffi_uint16_type])(-32768), 32768);
    assert.equal(echo('echoInt', [I32], [T.metaffi_uint32_type])(-1), 4294967295);
    assert.equal(echo('echoLong', [I64], [T.metaffi_uint64_type])(-1), 18446744073709551615n);
  });

  it('arrays of every width at their edges, both directions', () => {
    assert.deepEqual(list(echo('echoBytes', [T.metaffi_uint8_array_type], [T.metaffi_uint8_array_type])([0, 127, 128, 255])), [0, 127, 128, 255]);
    assert.deepEqual(list(echo('echoShorts', [T.metaffi_uint16_array_type], [T.metaffi_uint16_array_type])([0, 32768, 65535])), [0, 32768, 65535]);
    assert.deepEqual(list(hard('ints', [T.metaffi_uint32_array_type], [T.metaffi_uint32_array_type])([0, 2147483648, 4294967295])), [0, 2147483648, 4294967295]);
    assert.deepEqual(list(echo('echoLongs', [T.metaffi_uint64_array_type], [T.metaffi_uint64_array_type])([0, 2n ** 63n, 2n ** 64n - 1n])).map((v) => BigInt(v as number | bigint)),
      [0n, 2n ** 63n, 2n ** 64n - 1n]);
    assert.deepEqual(list(hard('bytesOf', [T.metaffi_int32_array_type], [T.metaffi_uint8_array_type])([-1, 0, -128])), [255, 0, 128]);
  });

  it('a Java type of another width is range-checked instead', () => {
    assert.equal(hard('takeShort', [T.metaffi_uint8_type], [T.metaffi_int16_type])(255), 255);
    assert.throws(() => hard('takeInt', [T.metaffi_uint64_type], [I32])(2n ** 64n - 1n), /18446744073709551615 does not fit a Java int/);
    assert.throws(() => hard('takeInt', [T.metaffi_uint64_type], [I32])(2n ** 31n), /2147483648 does not fit a Java int/);
    assert.throws(() => hard('giveInt', [I32], [T.metaffi_uint16_type])(-1), (e: unknown) =>
      e instanceof MetaFFIError && /return value: the Java int -1 does not fit the declared uint16/.test(e.message));
    assert.equal(hard('giveInt', [I32], [T.metaffi_uint16_type])(65535), 65535);
    assert.throws(() => hard('giveInt', [I32], [T.metaffi_uint8_type])(256), /the Java int 256 does not fit the declared uint8/);
    assert.throws(() => hard('intsOf', [T.metaffi_int64_array_type], [T.metaffi_uint8_array_type])([1, 300]), /\[1\]: the Java int 300 does not fit the declared uint8/);
  });
});

describe('openjdk: numbers between JS and Java are never silently changed', () => {
  it('a JS callback returning a non-integer or an out-of-range number for a Java int is an error', () => {
    const once = hard('applyOnce', [C, I32], [I32]);
    assert.equal(once((x: number) => x + 1, 6), 7);
    assert.throws(() => once(() => 1.5, 0), /the value 1\.5 does not fit a Java int/);
    assert.throws(() => once(() => 2 ** 40, 0), /the value 1099511627776 does not fit a Java int/);
    assert.throws(() => once(() => 'x', 0), /java\.lang\.String value cannot be used where Java expects int/);
  });

  it('bigints beyond a long are BigIntegers in Java, and come back as the same bigint', () => {
    const typeOf = echo('typeOf', [A], [S]);
    const back = echo('echoObject', [A], [A]);
    assert.equal(typeOf(2n ** 63n), 'java.math.BigInteger');
    assert.equal(back(2n ** 63n), 2n ** 63n);
    assert.equal(back(2n ** 64n - 1n), 2n ** 64n - 1n);
    assert.equal(back(-(2n ** 63n)), -(2n ** 63n));
    assert.equal(typeOf(-(2n ** 63n)), 'java.lang.Long');
  });
});

describe('openjdk: declared return types are enforced', () => {
  it('a value of the wrong kind is an error naming the type and the position', () => {
    assert.throws(() => hard('giveString', null, [T.metaffi_int8_type])(), (e: unknown) =>
      e instanceof MetaFFIError && e.message === 'return value: Java returned a string where int8 is declared');
    assert.throws(() => hard('giveObject', [A], [I32])(null), /return value: Java returned null where int32 is declared/);
    assert.throws(() => hard('giveDouble', [F64], [I64])(1.5), /the Java double 1.5 is no integer for the declared int64/);
    assert.throws(() => hard('giveObject', [A], [S])(5), /Java returned int32|the Java int 5 is no string/);
    assert.throws(() => hard('giveObject', [A], [T.metaffi_int32_array_type])('x'), /Java returned a string where an array is declared/);
  });

  it('integers are range-checked against the declared width', () => {
    const asInt8 = hard('giveInt', [I32], [T.metaffi_int8_type]);
    assert.equal(asInt8(127), 127);
    assert.equal(asInt8(-128), -128);
    assert.throws(() => asInt8(300), (e: unknown) =>
      e instanceof MetaFFIError && e.message === 'return value: the Java int 300 does not fit the declared int8');
    assert.throws(() => asInt8(-129), /-129 does not fit the declared int8/);
    assert.throws(() => hard('giveInt', [I32], [T.metaffi_uint8_type])(300), /300 does not fit the declared uint8/);
    assert.throws(() => hard('giveObject', [A], [T.metaffi_int16_type])(2n ** 40n), /1099511627776 does not fit the declared int16/);
  });

  it('bool: booleans, and the integers 0 and 1', () => {
    const asBool = hard('giveObject', [A], [T.metaffi_bool_type]);
    assert.equal(asBool(true), true);
    assert.equal(asBool(1), true);
    assert.equal(asBool(0), false);
    assert.throws(() => asBool(300), /the Java int 300 is not a bool \(true, false, 0 or 1\)/);
    assert.throws(() => asBool('true'), /Java returned a string where bool is declared/);
  });

  it('float32: finite values beyond its range are errors both ways; Infinity and NaN pass', () => {
    const asF32 = hard('giveDouble', [F64], [F32]);
    assert.equal(asF32(0.1), Math.fround(0.1));
    assert.equal(asF32(3.4e38), Math.fround(3.4e38));
    assert.equal(asF32(Infinity), Infinity);
    assert.equal(asF32(-Infinity), -Infinity);
    assert.ok(Number.isNaN(asF32(NaN)));
    assert.throws(() => asF32(1e300), (e: unknown) =>
      e instanceof MetaFFIError && /return value: the Java double 1e\+300 is out of the range of the declared float32/.test(e.message));
    assert.throws(() => asF32(-1e39), /-1e\+39 is out of the range/);
    const takeFloat = hard('takeFloat', [F64], [F32]);
    assert.equal(takeFloat(1.5), 1.5);
    assert.equal(takeFloat(-Infinity), -Infinity);
    assert.throws(() => takeFloat(1e300), (e: unknown) =>
      e instanceof MetaFFIError && /argument 1: the value 1e\+300 is out of the range of a Java float/.test(e.message));
  });
});

describe('openjdk: messages', () => {
  it('a failing static initializer reports its cause, and the class later says it failed to initialize', () => {
    assert.throws(() => guest.loadEntity('class=guest.BadStatic,callable=value', null, [A]), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.foreignType, 'java.lang.ExceptionInInitializerError');
      assert.match(e.message, /the static initializer of guest\.BadStatic threw java\.lang\.IllegalStateException: static setup broke/);
      assert.match(e.foreignStack ?? '', /Caused by: java\.lang\.IllegalStateException: static setup broke/);
      assert.match(e.foreignStack ?? '', /guest\.BadStatic\.fail/);
      return true;
    });
    for (let i = 0; i < 2; i++) {
      assert.throws(() => guest.loadEntity('class=guest.BadStatic,callable=value', null, [A]), (e: unknown) => {
        assert.ok(e instanceof MetaFFIError);
        assert.match(e.message, /class guest\.BadStatic failed to initialize earlier in this process \(its static initializer threw java\.lang\.IllegalStateException: static setup broke\)/);
        assert.doesNotMatch(e.message, /not found/);
        return true;
      });
    }
  });

  it('a RangeError deep inside JS<->Java nesting comes back as the RangeError', () => {
    const rec = hard('recurse', [C, I32], [I32]);
    const endless = (n: number): number => endless(n + 1) + 1;
    // half as deep under METAFFI_SANITIZE=address, whose frames are twice as large (sanitize.ts)
    const f = sanitizerStackFactor();
    for (const levels of [0, 1, 10, 60 / f, 90 / f]) {
      const cb = (n: number): number => (n < levels ? (rec(cb, n + 1) as number) : endless(0));
      assert.throws(() => rec(cb, 0), (e: unknown) => {
        const range = findInChain(e, RangeError);
        assert.ok(range, `levels ${levels}: ${String(e)}`);
        assert.match(range.message, /Maximum call stack size exceeded/);
        return true;
      });
    }
  });

  it('endless JS<->Java recursion ends in a described error, and both runtimes go on (a child process)', () => {
    const r = runScript('jdk-mutual', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('openjdk').loadModule(${JSON.stringify(classes)});
      const rec = m.loadEntity('class=guest.Hardening,callable=recurse', [T.metaffi_callable_type, T.metaffi_int32_type], [T.metaffi_int32_type]);
      for (let round = 0; round < 3; round++) {
        const cb = (n) => rec(cb, n + 1);
        try { rec(cb, 0); console.log('no error'); }
        catch (e) {
          let x = e; while (x && x.cause) x = x.cause;
          console.log('error', e.constructor.name, JSON.stringify(e.message), '|', x.constructor.name, JSON.stringify(x.message));
        }
      }
      console.log('alive', rec((n) => n * 2, 21));
    `);
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4, r.stdout);
    for (const l of lines.slice(0, 3)) {
      assert.match(l, /^error /);
      assert.doesNotMatch(l, /could not be described/);
      assert.doesNotMatch(l, /StackOverflowError: "/);
      assert.match(l, /Maximum call stack size exceeded|the Java stack overflowed/);
    }
    assert.equal(lines[3], 'alive 42');
  });

  it('a public method inherited from a package-private class is found through the public class', () => {
    const jdk = jvm.loadModule('java.base');
    const make = jdk.loadEntity('class=java.lang.StringBuilder,callable=<init>', [S], [H]);
    const length = jdk.loadEntity('class=java.lang.StringBuilder,callable=length,instance_required', [H], [I32]);
    const append = jdk.loadEntity('class=java.lang.StringBuilder,callable=append,instance_required', [H, S], [H]);
    const charAt = jdk.loadEntity('class=java.lang.StringBuilder,callable=charAt,instance_required', [H, I32], [T.metaffi_char16_type]);
    const sb = make('hello');
    assert.equal(length(sb), 5);
    append(sb, ' world');
    assert.equal(length(sb), 11);
    assert.equal(charAt(sb, 6), 'w');
  });
});

describe('openjdk: MetaFFI compatibility', () => {
  it('SomeClass[] declared as handle[] is an array of handles, and goes back as SomeClass[]', () => {
    const things = hard('things', [I32], [T.metaffi_handle_array_type])(3) as MetaFFIHandle[];
    assert.ok(Array.isArray(things));
    assert.equal(things.length, 3);
    for (const t of things) assert.ok(t instanceof MetaFFIHandle);
    const id = guest.loadEntity('class=guest.Hardening$Thing,callable=id,instance_required', [H], [I32]);
    assert.deepEqual(things.map((t) => id(t)), [1, 2, 3]);
    assert.equal(hard('sumIds', [T.metaffi_handle_array_type], [I32])(things), 6);
    assert.equal(hard('sumIds', [T.metaffi_handle_array_type], [I32])([things[2], things[2]]), 6);
    // 2-D both ways
    const grid2 = new MetaFFITypeInfo(T.metaffi_handle_array_type, undefined, 2);
    const grid = hard('thingGrid', [I32, I32], [grid2])(2, 3) as MetaFFIHandle[][];
    assert.equal(grid.length, 2);
    assert.equal(grid[1]!.length, 3);
    assert.equal(id(grid[1]![2]!), 12);
    assert.equal(hard('sumGrid', [grid2], [I32])(grid), 0 + 1 + 2 + 10 + 11 + 12);
    // a bare handle still holds the whole array, and goes back too
    const whole = hard('things', [I32], [H])(4);
    assert.ok(whole instanceof MetaFFIHandle);
    assert.equal(hard('sumIds', [H], [I32])(whole), 10);
    // elements of the wrong class are refused
    assert.throws(() => hard('sumIds', [T.metaffi_handle_array_type], [I32])([whole]), /\[0\]: expected a guest\.Hardening\$Thing/);
  });

  it('nested classes written with a dot as well as with $', () => {
    const viaDot = guest.loadEntity('class=guest.Hardening.Callbacks,callable=apply', [C, S], [S]);
    const viaDollar = guest.loadEntity('class=guest.Hardening$Callbacks,callable=apply', [C, S], [S]);
    assert.equal(viaDot((s: string) => `${s}!`, 'hi'), 'hi!');
    assert.equal(viaDollar((s: string) => `${s}?`, 'hi'), 'hi?');
    const transform = guest.loadEntity('class=guest.Hardening.Callbacks.StringTransformer,callable=transform,instance_required', [H, S], [S]);
    const upper = guest.loadEntity('class=guest.Hardening.Callbacks,callable=upper', null, [H])();
    assert.equal(transform(upper, 'shout'), 'SHOUT');
    assert.throws(() => guest.loadEntity('class=guest.Hardening.NoSuch,callable=x', null, null), /class 'guest\.Hardening\.NoSuch' not found/);
  });
});

describe('openjdk: strings with NUL characters', () => {
  it('round-trip in every string encoding', () => {
    for (const t of [S, T.metaffi_string16_type, T.metaffi_string32_type]) {
      const e = echo('echoString', [t], [t]);
      for (const s of ['\0', 'a\0b', '\0\0x\0', 'é\0🎉\0']) assert.equal(e(s), s);
      assert.equal(hard('withNul', null, [t])(), 'a\0b\0');
      assert.equal(hard('lengthOf', [t], [I32])('a\0b\0'), 4);
    }
    assert.deepEqual(echo('upper', [T.metaffi_string8_array_type], [T.metaffi_string8_array_type])(['a\0b']), ['A\0B']);
  });
});

describe('openjdk: lone surrogates', () => {
  it('string16 carries them; string8 and string32 are an error naming the index', () => {
    assert.equal(hard('loneSurrogate', null, [T.metaffi_string16_type])(), 'ab\uD800c');
    for (const t of [S, T.metaffi_string32_type]) {
      assert.throws(() => hard('loneSurrogate', null, [t])(), (e: unknown) => e instanceof MetaFFIError &&
        /return value: the Java string has a lone surrogate \(0xD800\) at index 2/.test(e.message));
    }
    assert.throws(() => hard('loneSurrogates', null, [T.metaffi_string8_array_type])(), /return value\[1\]: the Java string has a lone surrogate \(0xDC00\) at index 1/);
    assert.deepEqual(hard('loneSurrogates', null, [T.metaffi_string16_array_type])(), ['ok', 'x\uDC00']);
    assert.equal(echo('echoString', [S], [S])('pair 🎉 ok'), 'pair 🎉 ok');
  });
});

describe('openjdk: proxies of JS functions do not pin memory until some Java GC', () => {

  it('200,000 calls each handing Java a new proxy: pending references and RSS stay bounded (a child process)', () => {
    // A pre-touched heap with a young generation large enough that 220,000 proxies cause no
    // collection by themselves: only the plugin's requests collect them, and RSS measures
    // native memory, not the heap growing.
    const r = runScript('jdk-proxies', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('openjdk').loadModule(${JSON.stringify(classes)});
      const once = m.loadEntity('class=guest.Hardening,callable=applyOnce', [T.metaffi_callable_type, T.metaffi_int32_type], [T.metaffi_int32_type]);
      const pending = m.loadEntity('class=metaffi.jvm.Bridge,callable=pendingForeignReferences', null, [T.metaffi_int64_type]);
      const same = (x) => x + 1;
      let total = 0;
      for (let i = 0; i < 20000; i++) total += once(same, i); // warm up
      const rss = process.memoryUsage.rss();
      for (let i = 0; i < 200000; i++) total += once(same, 1);
      const growth = (process.memoryUsage.rss() - rss) / (1 << 20);
      console.log('same', pending(), growth.toFixed(1));
      for (let i = 0; i < 200000; i++) total += once((x) => x + i, 0);
      console.log('fresh', pending());
      console.log('total', total);
    `, { METAFFI_JVM_OPTIONS: '-Xms256m -Xmx256m -Xmn200m -XX:+AlwaysPreTouch' });
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
    const [, samePending, growth] = /^same (\d+) (-?[\d.]+)$/m.exec(r.stdout) ?? [];
    const [, freshPending] = /^fresh (\d+)$/m.exec(r.stdout) ?? [];
    assert.match(r.stdout, new RegExp(`^total ${20000 * 20001 / 2 + 200000 * 2 + 200000 * 199999 / 2}$`, 'm'));
    // one collection is asked for every 20,000 new references: never many more are pending
    assert.ok(Number(samePending) < 45_000, `pending after the same function: ${samePending}`);
    assert.ok(Number(freshPending) < 45_000, `pending after fresh closures: ${freshPending}`);
    // plus ASan's quarantine under METAFFI_SANITIZE=address (see sanitize.ts)
    assert.ok(Number(growth) < 30 + sanitizerRssSlackMiB(), `RSS grew by ${growth} MiB over 200,000 calls`);
  });

  it('JNI local references stay within what each call declares (-Xcheck:jni, a child process)', () => {
    const r = runScript('jdk-checkjni', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('openjdk').loadModule(${JSON.stringify(classes)});
      const f = (n, p, r) => m.loadEntity('class=guest.Hardening,callable=' + n, p, r);
      const I32 = T.metaffi_int32_type, A = T.metaffi_any_type;
      const things = f('things', [I32], [T.metaffi_handle_array_type]);
      const sumIds = f('sumIds', [T.metaffi_handle_array_type], [I32]);
      const nest = f('nest', [I32], [A]);
      const depthOf = f('depthOf', [A], [I32]);
      const asInt8 = f('giveInt', [I32], [T.metaffi_int8_type]);
      const toCallback = f('nestToCallback', [T.metaffi_callable_type, I32], [A]);
      const once = f('applyOnce', [T.metaffi_callable_type, I32], [I32]);
      const deep = (d) => { let o = 1; for (let i = 0; i < d; i++) o = [o]; return o; };
      let n = 0;
      for (let i = 0; i < 300; i++) {
        n += sumIds(things(5)) + depthOf(deep(256)) + once((x) => x, 1);
        nest(256); toCallback((x) => 0, 256);
        for (const bad of [() => nest(300), () => depthOf(deep(300)), () => asInt8(300), () => toCallback((x) => 0, 300)]) {
          try { bad(); } catch { n++; }
        }
      }
      console.log('done', n);
    `, { METAFFI_JVM_OPTIONS: '-Xcheck:jni' });
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
    // (-Xcheck:jni also reports, on stdout, that the JVM's signal handlers were given SA_ONSTACK)
    assert.match(r.stdout, new RegExp(`^done ${300 * (15 + 256 + 1 + 4)}$`, 'm'));
    assert.doesNotMatch(r.stdout + r.stderr, /JNI local refs|FATAL ERROR|JNI call made without checking exceptions/);
  });

  it('a proxy that escaped the call keeps working', () => {
    const keep = hard('keep', [C], [I32]);
    const callKept = hard('callKept', [I32], [I32]);
    assert.equal(keep((x: number) => x * 10), 10);
    const once = hard('applyOnce', [C, I32], [I32]);
    for (let i = 0; i < 50_000; i++) once((x: number) => x, i); // several collections meanwhile
    assert.equal(callKept(7), 70);
    hard('dropKept', null, null)();
  });
});
