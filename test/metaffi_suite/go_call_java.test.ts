/**
 * MetaFFI/Tests go/call_java/correctness_test.go, ported: the same entity paths, type lists
 * and expected values against the Java guest (test/fixtures/metaffi_suite/java). Where
 * MetaFFI only checks that a result is not nil, the value the guest returns is checked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetaFFIRuntime } from 'metaffi';
import { T, ti, javaGuestJar, lazyModule, throwsForeign, assertHandle, nums, near } from './support.js';

const S = 'go/call_java';
const mod = lazyModule(() => new MetaFFIRuntime('openjdk').loadModule(javaGuestJar()));
type Types = ReturnType<typeof ti>[] | null;
const load = (path: string, params: Types, rets: Types) => mod().loadEntity(path, params, rets);
const t = ti;
const H = () => t(T.metaffi_handle_type);
const STR = () => t(T.metaffi_string8_type);
const I32 = () => t(T.metaffi_int32_type);

test(`${S}: TestCoreHelloWorld`, () => {
  assert.equal(load('class=guest.CoreFunctions,callable=helloWorld', null, [STR()])(), 'Hello World, from Java');
});

test(`${S}: TestCoreDivIntegers`, () => {
  const fn = load('class=guest.CoreFunctions,callable=divIntegers', [t(T.metaffi_int64_type), t(T.metaffi_int64_type)], [t(T.metaffi_float64_type)]);
  near(fn(10, 2), 5.0);
});

test(`${S}: TestCoreJoinStrings`, () => {
  const fn = load('class=guest.CoreFunctions,callable=joinStrings', [t(T.metaffi_string8_array_type, 1)], [STR()]);
  assert.equal(fn(['a', 'b', 'c']), 'a,b,c');
});

test(`${S}: TestCoreWaitABit`, () => {
  assert.equal(load('class=guest.CoreFunctions,callable=waitABit', [t(T.metaffi_int64_type)], null)(1), undefined);
});

test(`${S}: TestCoreReturnNull`, () => {
  assert.equal(load('class=guest.CoreFunctions,callable=returnNull', null, [H()])(), null);
});

test(`${S}: TestCoreReturnsAnError`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnsAnError', null, null);
  throwsForeign(() => fn(), /error/i);
});

// MetaFFI makes the IntBinaryOperator with its own helper class
// (metaffi.api.accessor.CallbackAdapters.asInterface); here a JS function is passed where the
// functional interface is expected, which is how this package makes one.
test(`${S}: TestCoreCallCallbackAdd`, () => {
  const fn = load('class=guest.CoreFunctions,callable=callCallbackAdd',
    [t(T.metaffi_callable_type, 0, 'java.util.function.IntBinaryOperator')], [I32()]);
  assert.equal(fn((a: number, b: number) => a + b), 3);
});

test(`${S}: TestCoreReturnCallbackAdd`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnCallbackAdd', null,
    [t(T.metaffi_handle_type, 0, 'java.util.function.IntBinaryOperator')]);
  const op = fn();
  assertHandle(op, 'returnCallbackAdd()');
  const apply = load('class=java.util.function.IntBinaryOperator,callable=applyAsInt,instance_required',
    [t(T.metaffi_handle_type, 0, 'java.util.function.IntBinaryOperator'), I32(), I32()], [I32()]);
  assert.equal(apply(op, 3, 4), 7);
});

test(`${S}: TestCoreReturnMultipleReturnValues`, () => {
  const r = load('class=guest.CoreFunctions,callable=returnMultipleReturnValues', null, [t(T.metaffi_any_array_type, 1)])() as unknown[];
  assert.equal(r.length, 6);
  assert.equal(r[0], 1);
  assert.equal(r[1], 'string');
  near(r[2], 3.0);
  assert.equal(r[3], null);
  assert.deepEqual(nums(r[4]), [1, 2, 3]);
  assertHandle(r[5], 'returnMultipleReturnValues()[5]');
});

test(`${S}: TestCoreReturnAny`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnAny', [I32()], [t(T.metaffi_any_type)]);
  assert.equal(fn(0), 1);
  assert.equal(fn(1), 'string');
  assert.equal(fn(999), null);
});

test(`${S}: TestCoreAcceptsAny`, () => {
  const fn = load('class=guest.CoreFunctions,callable=acceptsAny', [I32(), t(T.metaffi_any_type)], null);
  assert.equal(fn(1, 'string'), undefined);
  assert.equal(fn(3, null), undefined);
});

// ---- SomeClass

test(`${S}: TestSomeClassCreateDefaultAndPrint`, () => {
  const obj = load('class=guest.SomeClass,callable=<init>', null, [H()])();
  const print = load('class=guest.SomeClass,callable=print,instance_required', [H()], [STR()]);
  assert.equal(print(obj), 'Hello from SomeClass some');
});

test(`${S}: TestSomeClassCreateWithNameAndPrint`, () => {
  const obj = load('class=guest.SomeClass,callable=<init>', [STR()], [H()])('test_name');
  const print = load('class=guest.SomeClass,callable=print,instance_required', [H()], [STR()]);
  assert.equal(print(obj), 'Hello from SomeClass test_name');
});

test(`${S}: TestSomeClassGetName`, () => {
  const obj = load('class=guest.SomeClass,callable=<init>', [STR()], [H()])('abc');
  assert.equal(load('class=guest.SomeClass,callable=getName,instance_required', [H()], [STR()])(obj), 'abc');
});

// ---- TestMap

test(`${S}: TestTestMapSetGetContains`, () => {
  const obj = load('class=guest.TestMap,callable=<init>', null, [H()])();
  load('class=guest.TestMap,callable=set,instance_required', [H(), STR(), t(T.metaffi_any_type)], null)(obj, 'key1', 42);
  const contains = load('class=guest.TestMap,callable=contains,instance_required', [H(), STR()], [t(T.metaffi_bool_type)]);
  assert.equal(contains(obj, 'key1'), true);
  assert.equal(load('class=guest.TestMap,callable=get,instance_required', [H(), STR()], [t(T.metaffi_any_type)])(obj, 'key1'), 42);
  assert.equal(contains(obj, 'nonexistent'), false);
});

test(`${S}: TestTestMapNameField`, () => {
  const obj = load('class=guest.TestMap,callable=<init>', null, [H()])();
  const getName = load('class=guest.TestMap,field=name,getter,instance_required', [H()], [STR()]);
  assert.equal(getName(obj), 'name1');
  load('class=guest.TestMap,field=name,setter,instance_required', [H(), STR()], null)(obj, 'new_name');
  assert.equal(getName(obj), 'new_name');
});

// ---- StaticState

test(`${S}: TestStaticStateCounter`, () => {
  const set = load('class=guest.StaticState,callable=setCounter', [I32()], null);
  const get = load('class=guest.StaticState,callable=getCounter', null, [I32()]);
  const inc = load('class=guest.StaticState,callable=incCounter', [I32()], [I32()]);
  set(0);
  assert.equal(get(), 0);
  assert.equal(inc(5), 5);
  assert.equal(get(), 5);
  set(0);
});

test(`${S}: TestStaticStateConstant`, () => {
  assert.equal(load('class=guest.StaticState,field=FIVE_SECONDS,getter', null, [t(T.metaffi_int64_type)])(), 5);
});

// ---- PrimitiveFunctions

test(`${S}: TestPrimitivesAcceptsPrimitives`, () => {
  const fn = load('class=guest.PrimitiveFunctions,callable=acceptsPrimitives', [
    t(T.metaffi_bool_type), t(T.metaffi_int8_type), t(T.metaffi_int16_type), t(T.metaffi_int32_type),
    t(T.metaffi_int64_type), t(T.metaffi_float32_type), t(T.metaffi_float64_type), t(T.metaffi_char16_type),
  ], [t(T.metaffi_any_array_type, 1)]);
  assert.deepEqual(fn(true, 1, 2, 3, 4, 5.0, 6.0, 'a'), [true, 1, 2, 3, 4, 5, 6, 'a']);
});

test(`${S}: TestPrimitivesEchoBytes`, () => {
  const fn = load('class=guest.PrimitiveFunctions,callable=echoBytes', [t(T.metaffi_int8_array_type, 1)], [t(T.metaffi_int8_array_type, 1)]);
  assert.deepEqual(nums(fn([1, 2, 3, 4, 5])), [1, 2, 3, 4, 5]);
});

test(`${S}: TestPrimitivesToUpper`, () => {
  assert.equal(load('class=guest.PrimitiveFunctions,callable=toUpper', [t(T.metaffi_char16_type)], [t(T.metaffi_char16_type)])('a'), 'A');
});

// ---- ArrayFunctions

const threeBuffers = () => load('class=guest.ArrayFunctions,callable=getThreeBuffers', null, [t(T.metaffi_int8_array_type, 2)]);
const someClasses = () => load('class=guest.ArrayFunctions,callable=getSomeClasses', null, [t(T.metaffi_handle_array_type, 1)]);

test(`${S}: TestArraysGetThreeBuffers`, () => {
  const r = threeBuffers()() as unknown[];
  assert.deepEqual(r.map(nums), [[1, 2, 3, 4], [5, 6, 7], [8, 9]]);
});

test(`${S}: TestArraysGetSomeClasses`, () => {
  const r = someClasses()() as unknown[];
  assert.ok(Array.isArray(r), `getSomeClasses() returned ${String(r)}, not an array`);
  assert.equal(r.length, 3);
  for (const h of r) assertHandle(h, 'getSomeClasses()[i]');
});

test(`${S}: TestArraysMake2d`, () => {
  assert.deepEqual(load('class=guest.ArrayFunctions,callable=make2dArray', null, [t(T.metaffi_int32_array_type, 2)])(), [[1, 2], [3, 4]]);
});

test(`${S}: TestArraysMake3d`, () => {
  assert.deepEqual(load('class=guest.ArrayFunctions,callable=make3dArray', null, [t(T.metaffi_int32_array_type, 3)])(), [[[1], [2]], [[3], [4]]]);
});

test(`${S}: TestArraysMakeRagged`, () => {
  assert.deepEqual(load('class=guest.ArrayFunctions,callable=makeRaggedArray', null, [t(T.metaffi_int32_array_type, 2)])(), [[1, 2, 3], [4], [5, 6]]);
});

test(`${S}: TestArraysSum3d`, () => {
  assert.equal(load('class=guest.ArrayFunctions,callable=sum3dArray', [t(T.metaffi_int32_array_type, 3)], [I32()])([[[1], [2]], [[3], [4]]]), 10);
});

test(`${S}: TestArraysSum3dFromFactory`, () => {
  assert.equal(load('class=guest.ArrayFunctions,callable=sum3dArrayFromFactory', null, [I32()])(), 10);
});

test(`${S}: TestArraysSumRagged`, () => {
  assert.equal(load('class=guest.ArrayFunctions,callable=sumRaggedArray', [t(T.metaffi_int32_array_type, 2)], [I32()])([[1, 2, 3], [4], [5, 6]]), 21);
});

test(`${S}: TestArraysExpectThreeBuffers`, () => {
  const buffers = threeBuffers()();
  const expect = load('class=guest.ArrayFunctions,callable=expectThreeBuffers', [t(T.metaffi_int8_array_type, 2)], null);
  assert.equal(expect(buffers), undefined);
});

test(`${S}: TestArraysExpectThreeSomeClasses`, () => {
  const classes = someClasses()();
  const expect = load('class=guest.ArrayFunctions,callable=expectThreeSomeClasses', [t(T.metaffi_handle_array_type, 1)], null);
  assert.equal(expect(classes), undefined);
});

// ---- packed arrays

test(`${S}: TestPackedArraySumInt1d`, () => {
  assert.equal(load('class=guest.ArrayFunctions,callable=sumInt1dArray', [t(T.metaffi_int32_packed_array_type, 1)], [I32()])([1, 2, 3, 4, 5]), 15);
});

test(`${S}: TestPackedArrayEchoLong1d`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=echoLong1dArray', [t(T.metaffi_int64_packed_array_type, 1)], [t(T.metaffi_int64_packed_array_type, 1)]);
  assert.deepEqual(nums(fn([100, 200, 300])), [100, 200, 300]);
});

test(`${S}: TestPackedArrayEchoDouble1d`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=echoDouble1dArray', [t(T.metaffi_float64_packed_array_type, 1)], [t(T.metaffi_float64_packed_array_type, 1)]);
  const r = nums(fn([1.5, 2.5, 3.5]));
  assert.equal(r.length, 3);
  [1.5, 2.5, 3.5].forEach((v, i) => near(r[i], v, 1e-9));
});

test(`${S}: TestPackedArrayMakeInt1d`, () => {
  assert.deepEqual(nums(load('class=guest.ArrayFunctions,callable=makeInt1dArray', null, [t(T.metaffi_int32_packed_array_type, 1)])()), [10, 20, 30, 40, 50]);
});

// ---- EnumTypes

test(`${S}: TestEnumGetColor`, () => {
  const red = load('class=guest.EnumTypes,callable=getColor', [I32()], [H()])(0);
  assertHandle(red, 'getColor(0)');
  assert.equal(red.foreignType, 'guest.EnumTypes$Color');
});

test(`${S}: TestEnumColorName`, () => {
  const green = load('class=guest.EnumTypes,callable=getColor', [I32()], [H()])(1);
  assert.equal(load('class=guest.EnumTypes,callable=colorName', [H()], [STR()])(green), 'GREEN');
});

// ---- OverloadExamples, NestedTypes, Interfaces, GenericBox

test(`${S}: TestOverloadIntAdd`, () => {
  const obj = load('class=guest.OverloadExamples,callable=<init>', [I32()], [H()])(2);
  assert.equal(load('class=guest.OverloadExamples,callable=getValue,instance_required', [H()], [I32()])(obj), 2);
});

test(`${S}: TestNestedMakeInner`, () => {
  const inner = load('class=guest.NestedTypes,callable=makeInner', [I32()], [H()])(5);
  assertHandle(inner, 'makeInner(5)');
  assert.equal(load('class=guest.NestedTypes$Inner,callable=getValue,instance_required', [H()], [I32()])(inner), 5);
});

test(`${S}: TestInterfacesCallGreeter`, () => {
  const greeter = load('class=guest.Interfaces$SimpleGreeter,callable=<init>', null, [H()])();
  assert.equal(load('class=guest.Interfaces,callable=callGreeter', [H(), STR()], [STR()])(greeter, 'Bob'), 'Hello Bob');
});

test(`${S}: TestGenericBox`, () => {
  const box = load('class=guest.GenericBox,callable=<init>', [t(T.metaffi_any_type)], [H()])('x');
  const get = load('class=guest.GenericBox,callable=get,instance_required', [H()], [t(T.metaffi_any_type)]);
  assert.equal(get(box), 'x');
  load('class=guest.GenericBox,callable=set,instance_required', [H(), t(T.metaffi_any_type)], null)(box, 'y');
  assert.equal(get(box), 'y');
});

// ---- VarargsExamples

test(`${S}: TestVarargsSum`, () => {
  assert.equal(load('class=guest.VarargsExamples,callable=sum', [t(T.metaffi_int32_array_type, 1)], [I32()])([1, 2, 3]), 6);
});

test(`${S}: TestVarargsJoin`, () => {
  const fn = load('class=guest.VarargsExamples,callable=join', [STR(), t(T.metaffi_string8_array_type, 1)], [STR()]);
  assert.equal(fn('p', ['a', 'b']), 'p:a:b');
});

// ---- Errors

test(`${S}: TestErrorsThrowRuntime`, () => {
  const fn = load('class=guest.Errors,callable=throwRuntime', null, null);
  throwsForeign(() => fn(), /error/i);
});

test(`${S}: TestErrorsThrowChecked`, () => {
  const fn = load('class=guest.Errors,callable=throwChecked', [t(T.metaffi_bool_type)], null);
  throwsForeign(() => fn(true), /IO error/i);
  assert.equal(fn(false), undefined);
});

test(`${S}: TestErrorsReturnErrorString`, () => {
  const fn = load('class=guest.Errors,callable=returnErrorString', [t(T.metaffi_bool_type)], [STR()]);
  assert.equal(fn(true), 'ok');
  assert.equal(fn(false), 'error');
});

// ---- Callbacks

const TRANSFORMER = 'guest.Callbacks.StringTransformer';

test(`${S}: TestCallbacksCallTransformer`, () => {
  const returnTransformer = load('class=guest.Callbacks,callable=returnTransformer', [STR()], [t(T.metaffi_handle_type, 0, TRANSFORMER)]);
  const call = load('class=guest.Callbacks,callable=callTransformer', [t(T.metaffi_handle_type, 0, TRANSFORMER), STR()], [STR()]);
  const transformer = returnTransformer('_x');
  assertHandle(transformer, 'returnTransformer("_x")');
  assert.equal(call(transformer, 'a'), 'a_x');
});

test(`${S}: TestCallbacksReturnTransformer`, () => {
  const transformer = load('class=guest.Callbacks,callable=returnTransformer', [STR()], [t(T.metaffi_handle_type, 0, TRANSFORMER)])('_y');
  assertHandle(transformer, 'returnTransformer("_y")');
  const transform = load('class=guest.Callbacks.StringTransformer,callable=transform,instance_required',
    [t(T.metaffi_handle_type, 0, TRANSFORMER), STR()], [STR()]);
  assert.equal(transform(transformer, 'b'), 'b_y');
});

// ---- CollectionFunctions (handles)

test(`${S}: TestCollectionsMakeStringList`, () => {
  const list = load('class=guest.CollectionFunctions,callable=makeStringList', null, [H()])();
  assertHandle(list, 'makeStringList()');
  assert.equal(load('class=java.util.List,callable=size,instance_required', [H()], [I32()])(list), 3);
});

test(`${S}: TestCollectionsMakeStringIntMap`, () => {
  const map = load('class=guest.CollectionFunctions,callable=makeStringIntMap', null, [H()])();
  assertHandle(map, 'makeStringIntMap()');
  assert.equal(load('class=java.util.Map,callable=size,instance_required', [H()], [I32()])(map), 2);
});

test(`${S}: TestCollectionsBigInteger`, () => {
  const big = load('class=guest.CollectionFunctions,callable=bigIntegerValue', null, [H()])();
  assertHandle(big, 'bigIntegerValue()');
  assert.equal(load('class=java.math.BigInteger,callable=toString,instance_required', [H()], [STR()])(big), '12345678901234567890');
});

// ---- AutoCloseableResource, SubModule, OptionalFunctions

test(`${S}: TestAutoCloseableResource`, () => {
  const res = load('class=guest.AutoCloseableResource,callable=<init>', null, [H()])();
  const isClosed = load('class=guest.AutoCloseableResource,callable=isClosed,instance_required', [H()], [t(T.metaffi_bool_type)]);
  assert.equal(isClosed(res), false);
  load('class=guest.AutoCloseableResource,callable=close,instance_required', [H()], null)(res);
  assert.equal(isClosed(res), true);
});

test(`${S}: TestSubModuleEcho`, () => {
  assert.equal(load('class=guest.sub.SubModule,callable=echo', [STR()], [STR()])('hello'), 'hello');
});

test(`${S}: TestOptionalMaybeString`, () => {
  const fn = load('class=guest.OptionalFunctions,callable=maybeString', [t(T.metaffi_bool_type)], [H()]);
  const present = fn(true);
  const empty = fn(false);
  assertHandle(present, 'maybeString(true)');
  assertHandle(empty, 'maybeString(false)');
  const isPresent = load('class=java.util.Optional,callable=isPresent,instance_required', [H()], [t(T.metaffi_bool_type)]);
  assert.equal(isPresent(present), true);
  assert.equal(isPresent(empty), false);
});
