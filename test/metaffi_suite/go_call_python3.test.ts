/**
 * MetaFFI/Tests go/call_python3/correctness_test.go, ported: the same entity paths, type
 * lists and expected values against the Python guest (test/fixtures/metaffi_suite/python3:
 * the package module/ and single_file_module.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetaFFIRuntime, MetaFFIHandle, type MetaFFIModule } from 'metaffi';
import { T, ti, pythonPackage, pythonSingleFile, lazyModule, throwsForeign, assertHandle, nums, near } from './support.js';

const S = 'go/call_python3';
const python = new MetaFFIRuntime('python3');
const moduleDir = lazyModule(() => python.loadModule(pythonPackage));
const moduleFile = lazyModule(() => python.loadModule(pythonSingleFile));
type Types = ReturnType<typeof ti>[] | null;
const load = (path: string, params: Types, rets: Types, mod: () => MetaFFIModule = moduleDir) =>
  mod().loadEntity(path, params, rets);
const t = ti;
const H = () => t(T.metaffi_handle_type);

/** A Python object made as MetaFFI's Go tests make it: class getter, __new__, __init__. */
function newInstance(mod: () => MetaFFIModule, cls: string, initTypes: ReturnType<typeof ti>[], ...initArgs: unknown[]): MetaFFIHandle {
  const klass = load(`attribute=${cls},getter`, null, [H()], mod)();
  const instance = load(`callable=${cls}.__new__`, [H()], [H()], mod)(klass);
  assertHandle(instance, `${cls}.__new__`);
  load(`callable=${cls}.__init__,instance_required`, [H(), ...initTypes], null, mod)(instance, ...initArgs);
  return instance;
}

// ---- core_functions.py

test(`${S}: TestCoreHelloWorld`, () => {
  assert.equal(load('callable=hello_world', null, [t(T.metaffi_string8_type)])(), 'Hello World, from Python3');
});

test(`${S}: TestCoreDivIntegers`, () => {
  const fn = load('callable=div_integers', [t(T.metaffi_int64_type), t(T.metaffi_int64_type)], [t(T.metaffi_float64_type)]);
  near(fn(10, 2), 5.0);
});

test(`${S}: TestCoreJoinStrings`, () => {
  const fn = load('callable=join_strings', [t(T.metaffi_string8_array_type, 1)], [t(T.metaffi_string8_type)]);
  assert.equal(fn(['a', 'b', 'c']), 'a,b,c');
});

test(`${S}: TestCoreWaitABit`, () => {
  assert.equal(load('callable=wait_a_bit', [t(T.metaffi_int64_type)], null)(1), undefined);
});

test(`${S}: TestCoreReturnNull`, () => {
  assert.equal(load('callable=return_null', null, [t(T.metaffi_null_type)])(), null);
});

test(`${S}: TestCoreReturnsAnError`, () => {
  const fn = load('callable=returns_an_error', null, null);
  throwsForeign(() => fn(), /error/i);
});

test(`${S}: TestCoreCallCallbackAdd`, () => {
  const fn = load('callable=call_callback_add', [t(T.metaffi_callable_type)], [t(T.metaffi_int64_type)]);
  assert.equal(fn((a: number, b: number) => a + b), 3);
});

test(`${S}: TestCoreReturnCallbackAdd`, () => {
  const fn = load('callable=return_callback_add', null, [t(T.metaffi_callable_type)]);
  const add = fn() as (a: number, b: number) => unknown;
  assert.equal(typeof add, 'function');
  assert.equal(add(3, 4), 7);
});

test(`${S}: TestCoreReturnMultipleReturnValues`, () => {
  const fn = load('callable=return_multiple_return_values', null, [
    t(T.metaffi_int64_type), t(T.metaffi_string8_type), t(T.metaffi_float64_type),
    t(T.metaffi_null_type), t(T.metaffi_uint8_array_type), H(),
  ]);
  const r = fn() as unknown[];
  assert.equal(r.length, 6);
  assert.equal(r[0], 1);
  assert.equal(r[1], 'string');
  near(r[2], 3.0);
  assert.equal(r[3], null);
  assertHandle(r[5], 'ret[5]');
});

test(`${S}: TestCoreReturnAny`, () => {
  const fn = load('callable=return_any', [t(T.metaffi_int64_type)], [t(T.metaffi_any_type)]);
  assert.equal(fn(0), 1);
  assert.equal(fn(1), 'string');
  near(fn(2), 3.0);
  assert.equal(fn(999), null);
});

// MetaFFI's third call passes float64(3.0); a JS number that is integral is an int in Python
// (JS has one number type), so the float is sent as 3.5, a number only a float can hold.
test(`${S}: TestCoreAcceptsAny`, () => {
  const fn = load('callable=accepts_any', [t(T.metaffi_int64_type), t(T.metaffi_any_type)], null);
  assert.equal(fn(0, 1), undefined);
  assert.equal(fn(1, 'string'), undefined);
  assert.equal(fn(2, 3.5), undefined);
});

test(`${S}: TestCoreGetThreeBuffers`, () => {
  const r = load('callable=get_three_buffers', null, [t(T.metaffi_array_type, 1)])() as unknown[];
  assert.ok(Array.isArray(r), `get_three_buffers() returned ${String(r)}`);
  assert.equal(r.length, 3);
  assert.deepEqual(nums(r[0]), [1, 2, 3, 4]);
  assert.deepEqual(nums(r[1]), [5, 6, 7]);
  assert.deepEqual(nums(r[2]), [8, 9]);
});

test(`${S}: TestCoreGetSomeClasses`, () => {
  const r = load('callable=get_some_classes', null, [t(T.metaffi_handle_array_type, 1)])() as unknown[];
  assert.equal(r.length, 3);
  for (const h of r) assertHandle(h, 'get_some_classes()[i]');
});

// ---- objects_and_classes.py

test(`${S}: TestSomeClassCreateAndPrint`, () => {
  const obj = newInstance(moduleDir, 'SomeClass', [t(T.metaffi_string8_type)], 'test_name');
  const print = load('callable=SomeClass.print,instance_required', [H()], [t(T.metaffi_string8_type)]);
  assert.equal(print(obj), 'Hello from SomeClass test_name');
});

test(`${S}: TestSomeClassStr`, () => {
  const obj = newInstance(moduleDir, 'SomeClass', [t(T.metaffi_string8_type)], 'abc');
  const str = load('callable=SomeClass.__str__,instance_required', [H()], [t(T.metaffi_string8_type)]);
  assert.match(str(obj) as string, /SomeClass/);
});

test(`${S}: TestTestMapSetGetContains`, () => {
  const obj = newInstance(moduleDir, 'TestMap', []);
  load('callable=TestMap.set,instance_required', [H(), t(T.metaffi_string8_type), t(T.metaffi_any_type)], null)(obj, 'key1', 42);
  const contains = load('callable=TestMap.contains,instance_required', [H(), t(T.metaffi_string8_type)], [t(T.metaffi_bool_type)]);
  assert.equal(contains(obj, 'key1'), true);
  const get = load('callable=TestMap.get,instance_required', [H(), t(T.metaffi_string8_type)], [t(T.metaffi_any_type)]);
  assert.equal(get(obj, 'key1'), 42);
  assert.equal(contains(obj, 'nonexistent'), false);
});

test(`${S}: TestBaseClassStaticValue`, () => {
  assert.equal(load('callable=BaseClass.static_value', null, [t(T.metaffi_int64_type)])(), 42);
});

// ---- types_and_arrays.py

test(`${S}: TestArraysMake1D`, () => {
  assert.deepEqual(nums(load('callable=make_1d_array', null, [t(T.metaffi_int64_array_type, 1)])()), [1, 2, 3]);
});

test(`${S}: TestArraysMake2D`, () => {
  assert.deepEqual(load('callable=make_2d_array', null, [t(T.metaffi_int64_array_type, 2)])(), [[1, 2], [3, 4]]);
});

test(`${S}: TestArraysMake3D`, () => {
  assert.deepEqual(load('callable=make_3d_array', null, [t(T.metaffi_int64_array_type, 3)])(), [[[1], [2]], [[3], [4]]]);
});

test(`${S}: TestArraysMakeRagged`, () => {
  assert.deepEqual(load('callable=make_ragged_array', null, [t(T.metaffi_int64_array_type, 2)])(), [[1, 2, 3], [4], [5, 6]]);
});

test(`${S}: TestArraysAccepts3D`, () => {
  const fn = load('callable=accepts_3d_array', [t(T.metaffi_int64_array_type, 3)], [t(T.metaffi_int64_type)]);
  assert.equal(fn([[[1], [2]], [[3], [4]]]), 10);
});

test(`${S}: TestArraysAcceptsRagged`, () => {
  const fn = load('callable=accepts_ragged_array', [t(T.metaffi_int64_array_type, 2)], [t(T.metaffi_int64_type)]);
  assert.equal(fn([[1, 2, 3], [4], [5, 6]]), 21);
});

test(`${S}: TestReturnsBytes`, () => {
  assert.deepEqual(nums(load('callable=returns_bytes_buffer', null, [t(T.metaffi_uint8_array_type, 1)])()), [1, 2, 3]);
});

// ---- packed arrays

test(`${S}: TestPackedArraySum1dInt`, () => {
  const fn = load('callable=sum_1d_int_array', [t(T.metaffi_int64_packed_array_type, 1)], [t(T.metaffi_int64_type)]);
  assert.equal(fn([1, 2, 3, 4, 5]), 15);
});

test(`${S}: TestPackedArrayEcho1dInt`, () => {
  const fn = load('callable=echo_1d_int_array', [t(T.metaffi_int64_packed_array_type, 1)], [t(T.metaffi_int64_packed_array_type, 1)]);
  assert.deepEqual(nums(fn([100, 200, 300])), [100, 200, 300]);
});

test(`${S}: TestPackedArrayEcho1dFloat`, () => {
  const fn = load('callable=echo_1d_float_array', [t(T.metaffi_float64_packed_array_type, 1)], [t(T.metaffi_float64_packed_array_type, 1)]);
  assert.deepEqual(nums(fn([1.5, 2.5, 3.5])), [1.5, 2.5, 3.5]);
});

test(`${S}: TestPackedArrayMake1dInt`, () => {
  assert.deepEqual(nums(load('callable=make_1d_int_array', null, [t(T.metaffi_int64_packed_array_type, 1)])()), [10, 20, 30, 40, 50]);
});

test(`${S}: TestReturnsOptional`, () => {
  const fn = load('callable=returns_optional', [t(T.metaffi_bool_type)], [t(T.metaffi_any_type)]);
  assert.equal(fn(true), 123);
  assert.equal(fn(false), null);
});

// ---- callbacks_and_errors.py

test(`${S}: TestRaiseCustomError`, () => {
  const fn = load('callable=raise_custom_error', [t(T.metaffi_string8_type)], null);
  throwsForeign(() => fn('boom'), /boom/);
});

test(`${S}: TestReturnErrorTuple`, () => {
  const fn = load('callable=return_error_tuple', [t(T.metaffi_bool_type)], [t(T.metaffi_bool_type), t(T.metaffi_any_type)]);
  assert.deepEqual(fn(true), [true, null]);
  assert.deepEqual(fn(false), [false, 'error']);
});

// ---- module_state.py

test(`${S}: TestModuleStateCounter`, () => {
  const set = load('callable=set_counter', [t(T.metaffi_int64_type)], null);
  const get = load('callable=get_counter', null, [t(T.metaffi_int64_type)]);
  const inc = load('callable=inc_counter', [t(T.metaffi_int64_type)], [t(T.metaffi_int64_type)]);
  set(0);
  assert.equal(get(), 0);
  assert.equal(inc(5), 5);
  assert.equal(get(), 5);
  set(0);
});

test(`${S}: TestModuleStateGlobalValue`, () => {
  const set = load('callable=set_global_value', [t(T.metaffi_string8_type), t(T.metaffi_any_type)], null);
  const get = load('callable=get_global_value', [t(T.metaffi_string8_type)], [t(T.metaffi_any_type)]);
  set('test_key', 'test_value');
  assert.equal(get('test_key'), 'test_value');
});

test(`${S}: TestModuleStateConstant`, () => {
  assert.equal(load('attribute=CONSTANT_FIVE_SECONDS,getter', null, [t(T.metaffi_int64_type)])(), 5);
});

// ---- args_and_signatures.py

test(`${S}: TestArgsDefaultArgs`, () => {
  const fn = load('callable=default_args', null, [t(T.metaffi_any_type), t(T.metaffi_any_type), t(T.metaffi_any_type)]);
  assert.deepEqual(fn(), [1, 'x', null]);
});

test(`${S}: TestArgsOverload`, () => {
  const fn = load('callable=overload', [t(T.metaffi_any_type)], [t(T.metaffi_any_type)]);
  assert.equal(fn(5), 6);
  assert.equal(fn('hello'), 'HELLO');
});

// ---- single_file_module.py

test(`${S}: TestSingleFileHelloWorld`, () => {
  assert.match(load('callable=hello_world', null, [t(T.metaffi_string8_type)], moduleFile)() as string, /Hello World/);
});

test(`${S}: TestSingleFileReturnNull`, () => {
  assert.equal(load('callable=return_null', null, [t(T.metaffi_null_type)], moduleFile)(), null);
});

test(`${S}: TestSingleFileSomeClass`, () => {
  const obj = newInstance(moduleFile, 'SomeClass', [t(T.metaffi_string8_type)], 'sf_test');
  const print = load('callable=SomeClass.print,instance_required', [H()], [t(T.metaffi_string8_type)], moduleFile);
  assert.equal(print(obj), 'Hello from SomeClass sf_test');
});

test(`${S}: TestSingleFileTestMap`, () => {
  const obj = newInstance(moduleFile, 'TestMap', []);
  load('callable=TestMap.set,instance_required', [H(), t(T.metaffi_string8_type), t(T.metaffi_any_type)], null, moduleFile)(obj, 'k', 99);
  const contains = load('callable=TestMap.contains,instance_required', [H(), t(T.metaffi_string8_type)], [t(T.metaffi_bool_type)], moduleFile);
  assert.equal(contains(obj, 'k'), true);
  const get = load('callable=TestMap.get,instance_required', [H(), t(T.metaffi_string8_type)], [t(T.metaffi_any_type)], moduleFile);
  assert.equal(get(obj, 'k'), 99);
});
