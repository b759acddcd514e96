/**
 * MetaFFI/Tests java/call_go TestCorrectness.java, ported: the same entity paths, type lists
 * and expected values against the Go guest (test/fixtures/metaffi_suite/go/guest, a package
 * whose go.mod says `go 1.18`), built with `metaffi -c --idl <dir> -g go`.
 *
 * MetaFFI wraps some cases in an xfail helper (they pass there only when the call fails) or
 * swallows their errors (the varargs cases), and checks Make3DArray/MakeRaggedArray to
 * return handles for Go `int` elements; here each case checks the behaviour it exercises:
 * the values the Go guest returns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetaFFIRuntime } from 'metaffi';
import { T, ti, goGuestLibrary, lazyModule, throwsForeign, assertHandle, nums, near } from './support.js';

const S = 'java/call_go';
const mod = lazyModule(() => new MetaFFIRuntime('go').loadModule(goGuestLibrary()));
type Types = ReturnType<typeof ti>[] | null;
const load = (path: string, params: Types, rets: Types) => mod().loadEntity(path, params, rets);
const t = ti;
const H = () => t(T.metaffi_handle_type);
const I64 = () => t(T.metaffi_int64_type);
const STR = () => t(T.metaffi_string8_type);
const ANY = () => t(T.metaffi_any_type);

test(`${S}: testHelloWorld`, () => {
  assert.equal(load('callable=HelloWorld', null, [STR()])(), 'Hello World, from Go');
});

test(`${S}: testDivIntegers`, () => {
  near(load('callable=DivIntegers', [I64(), I64()], [t(T.metaffi_float64_type)])(10, 2), 5.0);
});

test(`${S}: testDivIntegersFractional`, () => {
  near(load('callable=DivIntegers', [I64(), I64()], [t(T.metaffi_float64_type)])(7, 3), 7 / 3);
});

test(`${S}: testJoinStrings`, () => {
  assert.equal(load('callable=JoinStrings', [t(T.metaffi_string8_array_type, 1)], [STR()])(['hello', 'world']), 'hello,world');
});

test(`${S}: testJoinStringsSingle`, () => {
  assert.equal(load('callable=JoinStrings', [t(T.metaffi_string8_array_type, 1)], [STR()])(['only']), 'only');
});

test(`${S}: testWaitABit`, () => {
  assert.equal(load('callable=WaitABit', [I64()], null)(0), undefined);
});

test(`${S}: testReturnNull`, () => {
  assert.equal(load('callable=ReturnNull', null, [ANY()])(), null);
});

test(`${S}: testReturnsAnError`, () => {
  const fn = load('callable=ReturnsAnError', null, null);
  throwsForeign(() => fn(), /error/i);
});

const returnAny = () => load('callable=ReturnAny', [I64()], [ANY()]);

test(`${S}: testReturnAnyInt`, () => {
  assert.equal(returnAny()(0), 1);
});

test(`${S}: testReturnAnyString`, () => {
  assert.equal(returnAny()(1), 'string');
});

test(`${S}: testReturnAnyFloat`, () => {
  near(returnAny()(2), 3.0);
});

test(`${S}: testReturnAnyNil`, () => {
  assert.equal(returnAny()(99), null);
});

const multipleReturns = () => load('callable=ReturnMultipleReturnValues', null,
  [I64(), STR(), t(T.metaffi_float64_type), ANY(), t(T.metaffi_uint8_array_type, 1), H()]);

test(`${S}: testReturnMultipleReturnValues`, () => {
  const r = multipleReturns()() as unknown[];
  assert.equal(r.length, 6);
  assert.equal(r[0], 1);
  assert.equal(r[1], 'string');
  near(r[2], 3.0);
  assert.equal(r[3], null);
  assertHandle(r[5], 'result[5]');
});

// ---- callbacks

test(`${S}: testCallCallbackAdd`, () => {
  assert.equal(load('callable=CallCallbackAdd', [t(T.metaffi_callable_type)], [I64()])((a: number, b: number) => a + b), 3);
});

test(`${S}: testReturnCallbackAdd`, () => {
  const add = load('callable=ReturnCallbackAdd', null, [t(T.metaffi_callable_type)])() as (a: number, b: number) => unknown;
  assert.equal(typeof add, 'function');
  assert.equal(add(10, 20), 30);
});

test(`${S}: testCallTransformer`, () => {
  const fn = load('callable=CallTransformer', [t(T.metaffi_callable_type), STR()], [STR()]);
  assert.equal(fn((s: string) => s.toUpperCase(), 'hello'), 'HELLO');
});

test(`${S}: testReturnTransformer`, () => {
  const transformer = load('callable=ReturnTransformer', [STR()], [t(T.metaffi_callable_type)])('_suffix') as (s: string) => unknown;
  assert.equal(typeof transformer, 'function');
  assert.equal(transformer('hello'), 'hello_suffix');
});

test(`${S}: testCallFunction`, () => {
  assert.equal(load('callable=CallFunction', [t(T.metaffi_callable_type), STR()], [I64()])((s: string) => s.length, 'hello'), 5);
});

// ---- objects

test(`${S}: testNewTestMap`, () => {
  assertHandle(load('callable=NewTestMap', null, [H()])(), 'NewTestMap()');
});

test(`${S}: testTestMapSetGetContains`, () => {
  const h = load('callable=NewTestMap', null, [H()])();
  const set = load('callable=TestMap.Set', [H(), STR(), ANY()], null);
  const get = load('callable=TestMap.Get', [H(), STR()], [ANY()]);
  const contains = load('callable=TestMap.Contains', [H(), STR()], [t(T.metaffi_bool_type)]);
  assert.equal(contains(h, 'mykey'), false);
  set(h, 'mykey', 'myvalue');
  assert.equal(contains(h, 'mykey'), true);
  assert.equal(get(h, 'mykey'), 'myvalue');
});

test(`${S}: testTestMapNameField`, () => {
  const h = load('callable=NewTestMap', null, [H()])();
  const getName = load('callable=TestMap.GetName', [H()], [STR()]);
  const setName = load('callable=TestMap.SetName', [H(), STR()], null);
  assert.equal(getName(h), 'name1');
  setName(h, 'renamed');
  assert.equal(getName(h), 'renamed');
});

test(`${S}: testSomeClassPrint`, () => {
  const someClass = (multipleReturns()() as unknown[])[5];
  const print = load('callable=SomeClass.Print', [H()], [STR()]);
  assert.match(print(someClass) as string, /^Hello from SomeClass/);
});

test(`${S}: testSomeClassGetSetName`, () => {
  const someClass = (multipleReturns()() as unknown[])[5];
  const getName = load('callable=SomeClass.GetName', [H()], [STR()]);
  const setName = load('callable=SomeClass.SetName', [H(), STR()], null);
  setName(someClass, 'JavaTest');
  assert.equal(getName(someClass), 'JavaTest');
  assert.equal(load('callable=SomeClass.Print', [H()], [STR()])(someClass), 'Hello from SomeClass JavaTest');
});

// ---- arrays

test(`${S}: testGetThreeBuffers`, () => {
  const r = load('callable=GetThreeBuffers', null, [t(T.metaffi_uint8_array_type, 2)])() as unknown[];
  assert.deepEqual(r.map(nums), [[1, 2, 3, 4], [5, 6, 7], [8, 9]]);
});

test(`${S}: testEchoBytes`, () => {
  const fn = load('callable=EchoBytes', [t(T.metaffi_uint8_array_type, 1)], [t(T.metaffi_uint8_array_type, 1)]);
  assert.deepEqual(nums(fn(Uint8Array.from([1, 2, 3, 4, 5]))), [1, 2, 3, 4, 5]);
});

test(`${S}: testMake2DArray`, () => {
  assert.deepEqual(load('callable=Make2DArray', null, [t(T.metaffi_int64_array_type, 2)])(), [[1, 2], [3, 4]]);
});

test(`${S}: testMake3DArray`, () => {
  assert.deepEqual(load('callable=Make3DArray', null, [t(T.metaffi_int64_array_type, 3)])(), [[[1], [2]], [[3], [4]]]);
});

test(`${S}: testMakeRaggedArray`, () => {
  assert.deepEqual(load('callable=MakeRaggedArray', null, [t(T.metaffi_int64_array_type, 2)])(), [[1, 2, 3], [4], [5, 6]]);
});

test(`${S}: testSumRaggedArray`, () => {
  assert.equal(load('callable=SumRaggedArray', [t(T.metaffi_int64_array_type, 2)], [I64()])([[1, 2, 3], [4], [5, 6]]), 21);
});

test(`${S}: testSum3DArray`, () => {
  assert.equal(load('callable=Sum3DArray', [t(T.metaffi_int64_array_type, 3)], [I64()])([[[1], [2]], [[3], [4]]]), 10);
});

test(`${S}: testGetSomeClasses`, () => {
  const r = load('callable=GetSomeClasses', null, [t(T.metaffi_handle_array_type, 1)])() as unknown[];
  assert.equal(r.length, 3);
  for (const h of r) assertHandle(h, 'GetSomeClasses()[i]');
});

// ---- state

test(`${S}: testGetSetCounter`, () => {
  const get = load('callable=GetCounter', null, [I64()]);
  const set = load('callable=SetCounter', [I64()], null);
  const inc = load('callable=IncCounter', [I64()], [I64()]);
  set(0);
  assert.equal(get(), 0);
  assert.equal(inc(5), 5);
  assert.equal(get(), 5);
  set(0);
});

test(`${S}: testFiveSecondsGlobal`, () => {
  const getter = load('callable=GetFiveSeconds', null, [I64()]);
  const setter = load('callable=SetFiveSeconds', [I64()], null);
  assert.equal(getter(), 5);
  setter(42);
  assert.equal(getter(), 42);
  setter(5);
});

// ---- errors

test(`${S}: testReturnErrorTupleOk`, () => {
  assert.equal(load('callable=ReturnErrorTuple', [t(T.metaffi_bool_type)], [t(T.metaffi_bool_type)])(true), true);
});

test(`${S}: testReturnErrorTupleFail`, () => {
  const fn = load('callable=ReturnErrorTuple', [t(T.metaffi_bool_type)], [t(T.metaffi_bool_type)]);
  throwsForeign(() => fn(false), /error/);
});

test(`${S}: testPanics`, () => {
  const fn = load('callable=Panics', null, null);
  throwsForeign(() => fn(), /panic/i);
});

// ---- generics (a function returning an instantiated generic type), varargs, nested fields

test(`${S}: testGenericBoxGetSet`, () => {
  assertHandle(load('callable=NewIntBox', [I64()], [H()])(42), 'NewIntBox(42)');
});

test(`${S}: testVarargsSum`, () => {
  assert.equal(load('callable=Sum', [t(T.metaffi_int64_array_type, 1)], [I64()])([1, 2, 3]), 6);
});

test(`${S}: testVarargsJoin`, () => {
  assert.equal(load('callable=Join', [STR(), t(T.metaffi_string8_array_type, 1)], [STR()])('prefix', ['a', 'b']), 'prefix:a:b');
});

test(`${S}: testNewOuterInnerValue`, () => {
  assertHandle(load('callable=NewOuter', [I64()], [H()])(42), 'NewOuter(42)');
});

// ---- enum: a named int type through any

test(`${S}: testGetColorAndColorName`, () => {
  const getColor = load('callable=GetColor', [I64()], [ANY()]);
  const colorName = load('callable=ColorName', [ANY()], [STR()]);
  assert.equal(colorName(getColor(0)), 'RED');
  assert.equal(colorName(getColor(1)), 'GREEN');
  assert.equal(colorName(getColor(2)), 'BLUE');
});

// ---- channels, collections, bytes

test(`${S}: testAddAsync`, () => {
  assert.equal(load('callable=AddAsync', [I64(), I64()], [I64()])(3, 4), 7);
});

test(`${S}: testMakeStringList`, () => {
  assert.deepEqual(load('callable=MakeStringList', null, [t(T.metaffi_string8_array_type, 1)])(), ['a', 'b', 'c']);
});

const bytes256 = () => Uint8Array.from({ length: 256 }, (_, i) => i);

test(`${S}: testEchoBytesRoundTrip`, () => {
  const fn = load('callable=EchoBytes', [t(T.metaffi_uint8_array_type, 1)], [t(T.metaffi_uint8_array_type, 1)]);
  assert.deepEqual(nums(fn(bytes256())), Array.from(bytes256()));
});

test(`${S}: testPackedArrayEchoBytesRoundTrip`, () => {
  const fn = load('callable=EchoBytes', [t(T.metaffi_uint8_packed_array_type, 1)], [t(T.metaffi_uint8_packed_array_type, 1)]);
  assert.deepEqual(nums(fn(bytes256())), Array.from(bytes256()));
});

test(`${S}: testPackedArrayEchoBytesSmall`, () => {
  const fn = load('callable=EchoBytes', [t(T.metaffi_uint8_packed_array_type, 1)], [t(T.metaffi_uint8_packed_array_type, 1)]);
  assert.deepEqual(nums(fn(Uint8Array.from([1, 2, 3, 4, 5]))), [1, 2, 3, 4, 5]);
});
