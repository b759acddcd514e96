/**
 * The core's conversions against hostile values, the same in python3, openjdk and go (the
 * checks happen in the core, before any runtime sees the value): nesting past
 * METAFFI_MAX_DEPTH and arrays of 2^32-1 elements (in a child process, so that a crash is a
 * failed test), NUL in paths and names, NUL inside string values, MetaFFI's bare array type,
 * holes and undefined at any depth, float32's range and lone surrogates.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIError } from 'metaffi';
import { fixture, repoRoot } from '../support/fixtures.js';
import { guestClasses } from '../support/java.js';
import { goGuest } from '../go/guests.js';

type Fn = (...args: unknown[]) => unknown;
type Spec = T | MetaFFITypeInfo;
const A = T.metaffi_any_type;
const S8 = T.metaffi_string8_type;

const paths = { python: fixture('python', 'guest.py'), java: guestClasses(), go: goGuest('guest') };
const modules = {
  python3: new MetaFFIRuntime('python3').loadModule(paths.python),
  openjdk: new MetaFFIRuntime('openjdk').loadModule(paths.java),
  go: new MetaFFIRuntime('go').loadModule(paths.go),
};
type Rt = keyof typeof modules;
const RUNTIMES = Object.keys(modules) as Rt[];

/** An entity of each runtime that takes one value and returns it, declared as given. */
const echoPaths: Record<Rt, string> = {
  python3: 'callable=echo',
  openjdk: 'class=guest.Guest,callable=echoObject',
  go: 'callable=EchoAny',
};
const echoAs = (rt: Rt, param: Spec, ret: Spec = A): Fn => modules[rt].loadEntity(echoPaths[rt], [param], [ret]) as Fn;
/** The string echo of each runtime (a native string parameter and result). */
const stringEcho: Record<Rt, string> = {
  python3: 'callable=echo',
  openjdk: 'class=guest.Guest,callable=echoString',
  go: 'callable=EchoString',
};

describe('core: nesting and huge arrays (in a child process)', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, '.build', 'test', 'core', 'hardening_child.js'), JSON.stringify(paths)], {
    cwd: repoRoot, encoding: 'utf8', timeout: 5 * 60 * 1000, maxBuffer: 64 << 20,
  });
  const out = (): Record<string, { value?: unknown; error?: string; message?: string }> => {
    assert.equal(r.signal, null, `the child died of ${r.signal}:\n${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, { value?: unknown; error?: string; message?: string }>;
  };
  const tooDeep = (o: { error?: string; message?: string } | undefined, place: string, at: string, name: string) => {
    assert.equal(o?.error, 'RangeError', `${name}: ${JSON.stringify(o)}`);
    assert.ok(o!.message!.includes(`${place} is nested deeper than 256 levels (at ${at}`), `${name}: ${o!.message}`);
    assert.match(o!.message!, /flatten it or pass a handle$/, name);
  };

  for (const rt of RUNTIMES) {
    it(`${rt}: 256 levels of arrays and objects pass as any; 257, 1000 and 30000 are a RangeError naming the path`, () => {
      const o = out();
      assert.deepEqual(o[`${rt}:arrays:256`], { value: 256 });
      // openjdk turns a JS object into a Java map that comes back empty (a gap of the openjdk plugin): only
      // the absence of an error is the core's business here.
      if (rt === 'openjdk') assert.equal(o[`${rt}:objects:256`]!.error, undefined, JSON.stringify(o[`${rt}:objects:256`]));
      else assert.deepEqual(o[`${rt}:objects:256`], { value: 256 });
      const entity = rt === 'python3' ? 'echo' : rt === 'openjdk' ? 'guest.Guest.echoObject' : 'EchoAny';
      for (const depth of [257, 1000, 30000]) {
        tooDeep(o[`${rt}:arrays:${depth}`], `${entity}: argument 1`, '[0][0][0][0]...', `${rt} arrays ${depth}`);
        tooDeep(o[`${rt}:objects:${depth}`], `${entity}: argument 1`, '["k"]["k"]["k"]["k"]...', `${rt} objects ${depth}`);
      }
      tooDeep(o[`${rt}:mixed:300`], `${entity}: argument 1`, '["k"][0]["k"][0]...', `${rt} mixed`);
      tooDeep(o[`${rt}:inside:300`], `${entity}: argument 1`, '[1][1]["a"][0]...', `${rt} inside`);
      assert.equal(o[`${rt}:after`]!.error, undefined, 'the runtime works after the errors');
    });
  }

  it('a declared nested array type: 256 dimensions work, more are refused when declared', () => {
    const o = out();
    assert.deepEqual(o['python3:declared:256'], { value: 256 });
    for (const d of [257, 1000]) {
      assert.equal(o[`python3:declared:${d}`]!.error, 'RangeError');
      assert.match(o[`python3:declared:${d}`]!.message!, new RegExp(`${d} dimensions; arrays may have at most 256`));
    }
  });

  for (const rt of ['python3', 'openjdk']) {
    it(`${rt}: a JS callback's result nested past the limit is an error naming the path; 256 levels work`, () => {
      const o = out();
      assert.deepEqual(o[`${rt}:callback:256`], { value: 256 });
      for (const d of [257, 30000]) {
        assert.equal(o[`${rt}:callback:${d}`]!.error, 'MetaFFIError');
        assert.match(o[`${rt}:callback:${d}`]!.message!,
          /RangeError: the JS callback's result is nested deeper than 256 levels \(at \[0\]\[0\]\[0\]\[0\]\.\.\.\); flatten it or return a handle$/);
      }
    });
  }

  it('arrays of 2^32-1 elements are a TypeError (the first hole) or a RangeError (no memory), never an abort', () => {
    const o = out();
    const names = Object.keys(o).filter((k) => k.startsWith('huge:') && k !== 'huge:after');
    assert.equal(names.length, 16);
    for (const name of names) {
      const e = o[name]!;
      assert.ok(e.error === 'RangeError' || e.error === 'TypeError', `${name}: ${JSON.stringify(e)}`);
      if (e.error === 'RangeError') assert.match(e.message!, /argument 1: not enough memory to convert the value$/, name);
      else assert.match(e.message!, /argument 1\[0\]: expected .*, got undefined$/, name);
    }
    assert.deepEqual(o['huge:after'], { value: [1, 2, 3] });
  });
});

describe('core: NUL characters', () => {
  for (const rt of RUNTIMES) {
    it(`${rt}: a NUL in a module path, an entity path or a type alias is a TypeError before anything loads`, () => {
      const runtime = new MetaFFIRuntime(rt);
      for (const path of ['guest.py\0.txt', '\0', `${rt === 'openjdk' ? paths.java : rt === 'go' ? paths.go : paths.python}\0x`]) {
        assert.throws(() => runtime.loadModule(path), (e: Error) =>
          e instanceof TypeError && /module path .* contains a NUL character \(\\0\) at index \d+; paths and names cannot contain NUL/.test(e.message));
      }
      const nulPaths = [`${echoPaths[rt]}\0evil`, echoPaths[rt].replace('=', '=\0'), `\0${echoPaths[rt]}`];
      for (const p of nulPaths) {
        assert.throws(() => modules[rt].loadEntity(p, [A], [A]), (e: Error) =>
          e instanceof TypeError && /entity path .* contains a NUL character/.test(e.message), p);
      }
      for (const alias of ['java.lang.Str\0ing', '\0', 'x\0']) {
        assert.throws(() => modules[rt].loadEntity(echoPaths[rt], [new MetaFFITypeInfo(A, alias)], [A]), (e: Error) =>
          e instanceof TypeError && /the alias contains a NUL character/.test(e.message), alias);
      }
    });

    it(`${rt}: NUL inside string values round-trips exactly, as every string type and as any`, () => {
      const values = ['\0', 'a\0b', '\0\0\0', 'x\0y\0z🎉\0', 'é\0ü', '\0'.repeat(300) + 'end'];
      const types: Spec[] = rt === 'python3' ? [S8, T.metaffi_string16_type, T.metaffi_string32_type, A] : [S8, A];
      for (const t of types) {
        const f = rt === 'python3' || t === A ? echoAs(rt, t, t) : modules[rt].loadEntity(stringEcho[rt], [t], [t]) as Fn;
        for (const v of values) assert.equal(f(v), v, `${rt} ${String(t)} ${JSON.stringify(v)}`);
      }
      // openjdk hands a JS object back as a handle to its Java map (a gap of the openjdk plugin): strings only there.
      const nested = rt === 'openjdk' ? ['a\0', ['\0b']] : ['a\0', { 'k\0': 'v\0' }];
      assert.deepEqual(echoAs(rt, A)(nested), nested);
    });
  }

  it('a NUL in a runtime name is a TypeError', () => {
    for (const name of ['python3\0', 'go\0x', '\0openjdk']) {
      assert.throws(() => new MetaFFIRuntime(name).loadModule(paths.python), (e: Error) =>
        e instanceof TypeError || e instanceof MetaFFIError, name);
    }
  });
});

describe('core: the bare metaffi_array_type (65536) is an array of any', () => {
  for (const rt of RUNTIMES) {
    it(`${rt}: as a parameter and a return type`, () => {
      const f = echoAs(rt, T.metaffi_array_type, T.metaffi_array_type);
      const mixed = [1, 'two', 2.5, true, null, [3, 'four']];
      assert.deepEqual(f(mixed), mixed);
      assert.deepEqual(f([]), []);
      assert.deepEqual(echoAs(rt, T.metaffi_array_type)([7n ** 20n]), [7n ** 20n]);
      assert.deepEqual(echoAs(rt, A, 65536)(['x', 1]), ['x', 1]);
      assert.throws(() => f('not an array'), (e: Error) => e instanceof TypeError && /argument 1: expected an array \(any\[\]\)/.test(e.message));
    });
  }
});

describe('core: holes, undefined, float32 range and lone surrogates, at any depth', () => {
  const i64 = (dims: number) => new MetaFFITypeInfo(T.metaffi_int64_array_type, null, dims);
  const s8 = (dims: number) => new MetaFFITypeInfo(T.metaffi_string8_array_type, null, dims);
  for (const rt of RUNTIMES) {
    it(`${rt}: a hole or undefined in an n-D array is a TypeError naming the index path`, () => {
      /* eslint-disable no-sparse-arrays */
      const cases: [Spec, unknown, string][] = [
        [i64(2), [[1], , [2]], '[1]'],
        [i64(2), [[1, , 3]], '[0][1]'],
        [i64(3), [[[1]], [[2], , [3]]], '[1][1]'],
        [i64(3), [[[1, 2, , 4]]], '[0][0][2]'],
        [i64(2), [[1], undefined], '[1]'],
        [i64(2), [[1, undefined]], '[0][1]'],
        [s8(2), [['a'], , ['b']], '[1]'],
        [s8(2), [['a', undefined]], '[0][1]'],
        [T.metaffi_any_array_type, [1, , 2], '[1]'],
        [new MetaFFITypeInfo(T.metaffi_float64_array_type, null, 2), [[0.5], [, 1.5]], '[1][0]'],
      ];
      for (const [type, value, at] of cases) {
        assert.throws(() => echoAs(rt, type)(value), (e: Error) =>
          e instanceof TypeError && e.message.includes(`argument 1${at}: `) && /undefined|a hole/.test(e.message), `${rt} ${at}`);
      }
      assert.deepEqual(echoAs(rt, i64(2))([[1], [], [2, 3]]), [[1], [], [2, 3]]);
    });

    it(`${rt}: undefined is refused where a value is declared, and names the argument`, () => {
      for (const t of [S8, T.metaffi_int64_type, T.metaffi_float64_type, T.metaffi_bool_type, T.metaffi_handle_type]) {
        assert.throws(() => echoAs(rt, t)(undefined), (e: Error) => e instanceof TypeError && /argument 1/.test(e.message) && /undefined/.test(e.message), String(t));
      }
    });

    it(`${rt}: float32 values out of its range are errors; infinities, NaN and rounding pass`, () => {
      const f32 = echoAs(rt, T.metaffi_float32_type);
      for (const v of [3.5e38, -1e39, 1e300, -Number.MAX_VALUE]) {
        assert.throws(() => f32(v), (e: Error) => (e instanceof TypeError || e instanceof RangeError) && /float32.*out of its range/.test(e.message), String(v));
      }
      assert.equal(f32(Infinity), Infinity);
      assert.equal(f32(-Infinity), -Infinity);
      assert.ok(Number.isNaN(f32(NaN)));
      assert.equal(f32(3.4028234e38), 3.4028234663852886e38);
      assert.equal(f32(0.1), Math.fround(0.1));
      const f32s = echoAs(rt, new MetaFFITypeInfo(T.metaffi_float32_array_type, null, 2));
      assert.throws(() => f32s([[1], [2, 1e39]]), (e: Error) => /argument 1\[1\]\[1\]: .*float32.*out of its range/.test(e.message));
    });

    it(`${rt}: a lone surrogate is a TypeError naming the index for string8 and string32; string16 carries it`, () => {
      const lone = ['\ud800', 'ab\udc00', 'x🎉\ud83d', '\udfffz'];
      const at = [0, 2, 3, 0];
      const types: Spec[] = rt === 'python3' ? [S8, T.metaffi_string32_type] : [S8];
      for (const t of types) {
        const f = rt === 'python3' ? echoAs(rt, t, t) : modules[rt].loadEntity(stringEcho[rt], [t], [t]) as Fn;
        lone.forEach((s, i) => assert.throws(() => f(s), (e: Error) =>
          e instanceof TypeError && e.message.includes(`lone surrogate at index ${at[i]}`), `${String(t)} ${i}`));
        assert.throws(() => echoAs(rt, new MetaFFITypeInfo((t as number) | T.metaffi_array_type, null, 2))([['ok'], ['fine', 'a\ud800']]),
          (e: Error) => e instanceof TypeError && /argument 1\[1\]\[1\]: .*lone surrogate at index 1/.test(e.message));
        assert.equal(f('ok 🎉 é'), 'ok 🎉 é');
      }
      if (rt === 'python3') {
        const s16 = echoAs(rt, T.metaffi_string16_type, T.metaffi_string16_type);
        for (const s of lone) assert.equal(s16(s), s);
      }
    });
  }
});
