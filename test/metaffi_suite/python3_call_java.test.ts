/**
 * MetaFFI/Tests python3/call_java/test_correctness.py, ported: the same entity paths, type
 * lists and expected values against the Java guest (test/fixtures/metaffi_suite/java).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetaFFIRuntime } from 'metaffi';
import { T, ti, javaGuestJar, lazyModule, throwsForeign, assertHandle, nums, near } from './support.js';

const S = 'python3/call_java';
const mod = lazyModule(() => new MetaFFIRuntime('jvm').loadModule(javaGuestJar()));
const load = (path: string, params: ReturnType<typeof ti>[] | null, rets: ReturnType<typeof ti>[] | null) =>
  mod().loadEntity(path, params, rets);
const t = ti;

// ---- TestCoreFunctions

test(`${S}: TestCoreFunctions.test_hello_world`, () => {
  const fn = load('class=guest.CoreFunctions,callable=helloWorld', null, [t(T.metaffi_string8_type)]);
  assert.equal(fn(), 'Hello World, from Java');
});

test(`${S}: TestCoreFunctions.test_div_integers`, () => {
  const fn = load('class=guest.CoreFunctions,callable=divIntegers',
    [t(T.metaffi_int64_type), t(T.metaffi_int64_type)], [t(T.metaffi_float64_type)]);
  near(fn(10, 2), 5.0);
});

test(`${S}: TestCoreFunctions.test_div_integers_fractional`, () => {
  const fn = load('class=guest.CoreFunctions,callable=divIntegers',
    [t(T.metaffi_int64_type), t(T.metaffi_int64_type)], [t(T.metaffi_float64_type)]);
  near(fn(7, 3), 7 / 3);
});

test(`${S}: TestCoreFunctions.test_join_strings`, () => {
  const fn = load('class=guest.CoreFunctions,callable=joinStrings',
    [t(T.metaffi_string8_array_type, 1)], [t(T.metaffi_string8_type)]);
  assert.equal(fn(['hello', 'world']), 'hello,world');
});

test(`${S}: TestCoreFunctions.test_join_strings_single`, () => {
  const fn = load('class=guest.CoreFunctions,callable=joinStrings',
    [t(T.metaffi_string8_array_type, 1)], [t(T.metaffi_string8_type)]);
  assert.equal(fn(['only']), 'only');
});

test(`${S}: TestCoreFunctions.test_wait_a_bit`, () => {
  const fn = load('class=guest.CoreFunctions,callable=waitABit', [t(T.metaffi_int64_type)], null);
  assert.equal(fn(0), undefined);
});

test(`${S}: TestCoreFunctions.test_return_null`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnNull', null, [t(T.metaffi_handle_type)]);
  assert.equal(fn(), null);
});

test(`${S}: TestCoreFunctions.test_returns_an_error`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnsAnError', null, null);
  throwsForeign(() => fn(), /error|exception/i);
});

test(`${S}: TestCoreFunctions.test_return_any_int`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnAny', [t(T.metaffi_int32_type)], [t(T.metaffi_any_type)]);
  assert.equal(fn(0), 1);
});

test(`${S}: TestCoreFunctions.test_return_any_string`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnAny', [t(T.metaffi_int32_type)], [t(T.metaffi_any_type)]);
  assert.equal(fn(1), 'string');
});

test(`${S}: TestCoreFunctions.test_return_any_nil`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnAny', [t(T.metaffi_int32_type)], [t(T.metaffi_any_type)]);
  assert.equal(fn(999), null);
});

test(`${S}: TestCoreFunctions.test_return_multiple_return_values`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnMultipleReturnValues', null, [t(T.metaffi_any_array_type, 1)]);
  const r = fn() as unknown[];
  assert.ok(Array.isArray(r));
  assert.equal(r[0], 1);
  assert.equal(r[1], 'string');
  near(r[2], 3.0);
  assert.equal(r[3], null);
});

// ---- TestCallbacks

// MetaFFI makes the IntBinaryOperator with its own helper class
// (metaffi.api.accessor.CallbackAdapters.asInterface); here a JS function is passed where the
// functional interface is expected, which is how this package makes one.
test(`${S}: TestCallbacks.test_call_callback_add`, () => {
  const fn = load('class=guest.CoreFunctions,callable=callCallbackAdd',
    [t(T.metaffi_callable_type, 0, 'java.util.function.IntBinaryOperator')], [t(T.metaffi_int32_type)]);
  assert.equal(fn((a: number, b: number) => a + b), 3);
});

test(`${S}: TestCallbacks.test_return_callback_add`, () => {
  const fn = load('class=guest.CoreFunctions,callable=returnCallbackAdd', null,
    [t(T.metaffi_handle_type, 0, 'java.util.function.IntBinaryOperator')]);
  const callback = fn();
  assertHandle(callback, 'returnCallbackAdd()');
  const apply = load('class=java.util.function.IntBinaryOperator,callable=applyAsInt,instance_required',
    [t(T.metaffi_handle_type, 0, 'java.util.function.IntBinaryOperator'), t(T.metaffi_int32_type), t(T.metaffi_int32_type)],
    [t(T.metaffi_int32_type)]);
  assert.equal(apply(callback, 3, 4), 7);
});

test(`${S}: TestCallbacks.test_call_transformer`, () => {
  const returnTransformer = load('class=guest.Callbacks,callable=returnTransformer',
    [t(T.metaffi_string8_type)], [t(T.metaffi_handle_type, 0, 'guest.Callbacks.StringTransformer')]);
  const fn = load('class=guest.Callbacks,callable=callTransformer',
    [t(T.metaffi_handle_type, 0, 'guest.Callbacks.StringTransformer'), t(T.metaffi_string8_type)],
    [t(T.metaffi_string8_type)]);
  const transformer = returnTransformer('_x');
  assertHandle(transformer, 'returnTransformer("_x")');
  assert.equal(fn(transformer, 'a'), 'a_x');
});

test(`${S}: TestCallbacks.test_return_transformer`, () => {
  const fn = load('class=guest.Callbacks,callable=returnTransformer',
    [t(T.metaffi_string8_type)], [t(T.metaffi_handle_type, 0, 'guest.Callbacks.StringTransformer')]);
  const transformer = fn('_y');
  assertHandle(transformer, 'returnTransformer("_y")');
  const transform = load('class=guest.Callbacks.StringTransformer,callable=transform,instance_required',
    [t(T.metaffi_handle_type, 0, 'guest.Callbacks.StringTransformer'), t(T.metaffi_string8_type)],
    [t(T.metaffi_string8_type)]);
  assert.equal(transform(transformer, 'b'), 'b_y');
});

// ---- TestObjects

test(`${S}: TestObjects.test_some_class_default_constructor`, () => {
  const newFn = load('class=guest.SomeClass,callable=<init>', null, [t(T.metaffi_handle_type)]);
  const h = newFn();
  assertHandle(h, 'new SomeClass()');
  const print = load('class=guest.SomeClass,callable=print,instance_required',
    [t(T.metaffi_handle_type)], [t(T.metaffi_string8_type)]);
  assert.equal(print(h), 'Hello from SomeClass some');
});

test(`${S}: TestObjects.test_some_class_named_constructor`, () => {
  const newFn = load('class=guest.SomeClass,callable=<init>', [t(T.metaffi_string8_type)], [t(T.metaffi_handle_type)]);
  const getName = load('class=guest.SomeClass,callable=getName,instance_required',
    [t(T.metaffi_handle_type)], [t(T.metaffi_string8_type)]);
  assert.equal(getName(newFn('test_name')), 'test_name');
});

test(`${S}: TestObjects.test_test_map_set_get_contains`, () => {
  const newMap = load('class=guest.TestMap,callable=<init>', null, [t(T.metaffi_handle_type)]);
  const set = load('class=guest.TestMap,callable=set,instance_required',
    [t(T.metaffi_handle_type), t(T.metaffi_string8_type), t(T.metaffi_any_type)], null);
  const get = load('class=guest.TestMap,callable=get,instance_required',
    [t(T.metaffi_handle_type), t(T.metaffi_string8_type)], [t(T.metaffi_any_type)]);
  const contains = load('class=guest.TestMap,callable=contains,instance_required',
    [t(T.metaffi_handle_type), t(T.metaffi_string8_type)], [t(T.metaffi_bool_type)]);
  const h = newMap();
  assert.equal(contains(h, 'mykey'), false);
  set(h, 'mykey', 'myvalue');
  assert.equal(contains(h, 'mykey'), true);
  assert.equal(get(h, 'mykey'), 'myvalue');
});

test(`${S}: TestObjects.test_test_map_name_field`, () => {
  const newMap = load('class=guest.TestMap,callable=<init>', null, [t(T.metaffi_handle_type)]);
  const getName = load('class=guest.TestMap,field=name,getter,instance_required',
    [t(T.metaffi_handle_type)], [t(T.metaffi_string8_type)]);
  const setName = load('class=guest.TestMap,field=name,setter,instance_required',
    [t(T.metaffi_handle_type), t(T.metaffi_string8_type)], null);
  const h = newMap();
  assert.equal(getName(h), 'name1');
  setName(h, 'updated');
  assert.equal(getName(h), 'updated');
});

// ---- TestArrays

test(`${S}: TestArrays.test_make_2d_array`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=make2dArray', null, [t(T.metaffi_int32_array_type, 2)]);
  assert.deepEqual(fn(), [[1, 2], [3, 4]]);
});

test(`${S}: TestArrays.test_make_3d_array`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=make3dArray', null, [t(T.metaffi_int32_array_type, 3)]);
  assert.deepEqual(fn(), [[[1], [2]], [[3], [4]]]);
});

test(`${S}: TestArrays.test_make_ragged_array`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=makeRaggedArray', null, [t(T.metaffi_int32_array_type, 2)]);
  assert.deepEqual(fn(), [[1, 2, 3], [4], [5, 6]]);
});

test(`${S}: TestArrays.test_sum_ragged_array`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=sumRaggedArray',
    [t(T.metaffi_int32_array_type, 2)], [t(T.metaffi_int32_type)]);
  assert.equal(fn([[1, 2, 3], [4], [5, 6]]), 21);
});

test(`${S}: TestArrays.test_sum_3d_array`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=sum3dArray',
    [t(T.metaffi_int32_array_type, 3)], [t(T.metaffi_int32_type)]);
  assert.equal(fn([[[1], [2]], [[3], [4]]]), 10);
});

test(`${S}: TestArrays.test_get_some_classes`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=getSomeClasses', null, [t(T.metaffi_handle_array_type, 1)]);
  const handles = fn() as unknown[];
  assert.ok(Array.isArray(handles), `getSomeClasses() returned ${String(handles)}, not an array`);
  assert.equal(handles.length, 3);
  for (const h of handles) assertHandle(h, 'getSomeClasses()[i]');
});

test(`${S}: TestArrays.test_make_string_list`, () => {
  const fn = load('class=guest.CollectionFunctions,callable=makeStringList', null, [t(T.metaffi_handle_type)]);
  assertHandle(fn(), 'makeStringList()');
});

test(`${S}: TestArrays.test_echo_bytes`, () => {
  const fn = load('class=guest.PrimitiveFunctions,callable=echoBytes',
    [t(T.metaffi_int8_array_type, 1)], [t(T.metaffi_int8_array_type, 1)]);
  assert.deepEqual(nums(fn([1, 2, 3, 4, 5])), [1, 2, 3, 4, 5]);
});

// ---- TestPrimitives

test(`${S}: TestPrimitives.test_to_upper`, () => {
  const fn = load('class=guest.PrimitiveFunctions,callable=toUpper', [t(T.metaffi_char16_type)], [t(T.metaffi_char16_type)]);
  assert.equal(fn('a'), 'A');
});

// ---- TestState

test(`${S}: TestState.test_five_seconds_constant`, () => {
  const getter = load('class=guest.StaticState,field=FIVE_SECONDS,getter', null, [t(T.metaffi_int64_type)]);
  assert.equal(getter(), 5);
});

test(`${S}: TestState.test_counter_operations`, () => {
  const get = load('class=guest.StaticState,callable=getCounter', null, [t(T.metaffi_int32_type)]);
  const set = load('class=guest.StaticState,callable=setCounter', [t(T.metaffi_int32_type)], null);
  const inc = load('class=guest.StaticState,callable=incCounter', [t(T.metaffi_int32_type)], [t(T.metaffi_int32_type)]);
  set(0);
  assert.equal(get(), 0);
  assert.equal(inc(5), 5);
  assert.equal(get(), 5);
  assert.equal(inc(10), 15);
  set(0);
  assert.equal(get(), 0);
});

// ---- TestErrors

test(`${S}: TestErrors.test_throw_runtime`, () => {
  const fn = load('class=guest.Errors,callable=throwRuntime', null, null);
  throwsForeign(() => fn(), /error|exception/i);
});

test(`${S}: TestErrors.test_throw_checked_true`, () => {
  const fn = load('class=guest.Errors,callable=throwChecked', [t(T.metaffi_bool_type)], null);
  throwsForeign(() => fn(true), /IO error/);
});

test(`${S}: TestErrors.test_throw_checked_false`, () => {
  const fn = load('class=guest.Errors,callable=throwChecked', [t(T.metaffi_bool_type)], null);
  assert.equal(fn(false), undefined);
});

test(`${S}: TestErrors.test_return_error_string`, () => {
  const fn = load('class=guest.Errors,callable=returnErrorString', [t(T.metaffi_bool_type)], [t(T.metaffi_string8_type)]);
  assert.equal(fn(true), 'ok');
  assert.equal(fn(false), 'error');
});

// ---- TestNestedTypes

test(`${S}: TestNestedTypes.test_make_inner`, () => {
  const makeInner = load('class=guest.NestedTypes,callable=makeInner', [t(T.metaffi_int32_type)], [t(T.metaffi_handle_type)]);
  const getValue = load('class=guest.NestedTypes$Inner,callable=getValue,instance_required',
    [t(T.metaffi_handle_type)], [t(T.metaffi_int32_type)]);
  assert.equal(getValue(makeInner(42)), 42);
});

// ---- TestSubModule

test(`${S}: TestSubModule.test_echo`, () => {
  const fn = load('class=guest.sub.SubModule,callable=echo', [t(T.metaffi_string8_type)], [t(T.metaffi_string8_type)]);
  assert.equal(fn('test_input'), 'test_input');
});

// ---- TestPackedArrays

test(`${S}: TestPackedArrays.test_packed_array_sum_int1d`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=sumInt1dArray',
    [t(T.metaffi_int32_packed_array_type, 1)], [t(T.metaffi_int32_type)]);
  assert.equal(fn([1, 2, 3, 4, 5]), 15);
});

test(`${S}: TestPackedArrays.test_packed_array_echo_long1d`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=echoLong1dArray',
    [t(T.metaffi_int64_packed_array_type, 1)], [t(T.metaffi_int64_packed_array_type, 1)]);
  assert.deepEqual(nums(fn([100, 200, 300])), [100, 200, 300]);
});

test(`${S}: TestPackedArrays.test_packed_array_echo_double1d`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=echoDouble1dArray',
    [t(T.metaffi_float64_packed_array_type, 1)], [t(T.metaffi_float64_packed_array_type, 1)]);
  const r = nums(fn([1.5, 2.5, 3.5]));
  assert.equal(r.length, 3);
  [1.5, 2.5, 3.5].forEach((v, i) => near(r[i], v));
});

test(`${S}: TestPackedArrays.test_packed_array_make_int1d`, () => {
  const fn = load('class=guest.ArrayFunctions,callable=makeInt1dArray', null, [t(T.metaffi_int32_packed_array_type, 1)]);
  assert.deepEqual(nums(fn()), [10, 20, 30, 40, 50]);
});
