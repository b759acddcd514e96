/**
 * MetaFFI/Tests java/call_python3 TestCorrectness.java, ported: the same entity paths, type
 * lists and expected values against the Python guest (test/fixtures/metaffi_suite/python3:
 * the package module/ and single_file_module.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetaFFIRuntime, type MetaFFIHandle, type MetaFFIModule } from 'metaffi';
import { T, ti, pythonPackage, pythonSingleFile, lazyModule, throwsForeign, assertHandle, nums, near } from './support.js';

const S = 'java/call_python3';
const python = new MetaFFIRuntime('python3');
const pyModuleDir = lazyModule(() => python.loadModule(pythonPackage));
const pyModuleFile = lazyModule(() => python.loadModule(pythonSingleFile));
type Types = ReturnType<typeof ti>[] | null;
const load = (path: string, params: Types, rets: Types, mod: () => MetaFFIModule = pyModuleDir) =>
  mod().loadEntity(path, params, rets);
const t = ti;
const H = () => t(T.metaffi_handle_type);
const I64 = () => t(T.metaffi_int64_type);
const STR = () => t(T.metaffi_string8_type);
const ANY = () => t(T.metaffi_any_type);

/** MetaFFI's createPythonInstance: class getter, __new__, __init__ (int64/string8 arguments). */
function createPythonInstance(cls: string, ...initArgs: (number | string)[]): MetaFFIHandle {
  const klass = load(`attribute=${cls},getter`, null, [H()])();
  const instance = load(`callable=${cls}.__new__`, [H()], [H()])(klass);
  assertHandle(instance, `${cls}.__new__`);
  const initTypes = initArgs.map((a) => (typeof a === 'number' ? I64() : STR()));
  load(`callable=${cls}.__init__,instance_required`, [H(), ...initTypes], null)(instance, ...initArgs);
  return instance;
}

// ---- core_functions.py

test(`${S}: testDivIntegers`, () => {
  near(load('callable=div_integers', [I64(), I64()], [t(T.metaffi_float64_type)])(10, 2), 5.0);
});

test(`${S}: testDivIntegersFractional`, () => {
  near(load('callable=div_integers', [I64(), I64()], [t(T.metaffi_float64_type)])(7, 3), 7 / 3);
});

test(`${S}: testJoinStrings`, () => {
  assert.equal(load('callable=join_strings', [t(T.metaffi_string8_array_type, 1)], [STR()])(['a', 'b', 'c']), 'a,b,c');
});

test(`${S}: testWaitABit`, () => {
  assert.equal(load('callable=wait_a_bit', [I64()], null)(0), undefined);
});

test(`${S}: testReturnsAnError`, () => {
  const fn = load('callable=returns_an_error', null, null);
  throwsForeign(() => fn(), /error/i);
});

const returnAny = () => load('callable=return_any', [I64()], [ANY()]);

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
  assert.equal(returnAny()(999), null);
});

const acceptsAny = () => load('callable=accepts_any', [I64(), ANY()], null);

test(`${S}: testAcceptsAnyInt`, () => {
  assert.equal(acceptsAny()(0, 1), undefined);
});

test(`${S}: testAcceptsAnyString`, () => {
  assert.equal(acceptsAny()(1, 'string'), undefined);
});

// MetaFFI passes the double 3.0; a JS number that is integral is an int in Python (JS has
// one number type), so the float is sent as 3.5, a number only a float can hold.
test(`${S}: testAcceptsAnyFloat`, () => {
  assert.equal(acceptsAny()(2, 3.5), undefined);
});

test(`${S}: testCallCallbackAdd`, () => {
  const fn = load('callable=call_callback_add', [t(T.metaffi_callable_type)], [I64()]);
  assert.equal(fn((a: number, b: number) => a + b), 3);
});

test(`${S}: testAccepts3DArray`, () => {
  assert.equal(load('callable=accepts_3d_array', [t(T.metaffi_int64_array_type, 3)], [I64()])([[[1], [2]], [[3], [4]]]), 10);
});

test(`${S}: testAcceptsRaggedArray`, () => {
  assert.equal(load('callable=accepts_ragged_array', [t(T.metaffi_int64_array_type, 2)], [I64()])([[1, 2, 3], [4], [5, 6]]), 21);
});

test(`${S}: testReturnsOptionalTrue`, () => {
  assert.equal(load('callable=returns_optional', [t(T.metaffi_bool_type)], [ANY()])(true), 123);
});

test(`${S}: testReturnsOptionalFalse`, () => {
  assert.equal(load('callable=returns_optional', [t(T.metaffi_bool_type)], [ANY()])(false), null);
});

// ---- callbacks_and_errors.py

test(`${S}: testRaiseCustomError`, () => {
  const fn = load('callable=raise_custom_error', [STR()], null);
  throwsForeign(() => fn('boom'), /boom/i);
});

test(`${S}: testReturnErrorTupleOk`, () => {
  assert.deepEqual(load('callable=return_error_tuple', [t(T.metaffi_bool_type)], [t(T.metaffi_bool_type), ANY()])(true), [true, null]);
});

test(`${S}: testReturnErrorTupleFail`, () => {
  assert.deepEqual(load('callable=return_error_tuple', [t(T.metaffi_bool_type)], [t(T.metaffi_bool_type), ANY()])(false), [false, 'error']);
});

// ---- module_state.py, args_and_signatures.py

test(`${S}: testModuleStateGlobalValue`, () => {
  load('callable=set_global_value', [STR(), ANY()], null)('test_key', 'test_value');
  assert.equal(load('callable=get_global_value', [STR()], [ANY()])('test_key'), 'test_value');
});

test(`${S}: testOverloadInt`, () => {
  assert.equal(load('callable=overload', [ANY()], [ANY()])(5), 6);
});

test(`${S}: testOverloadString`, () => {
  assert.equal(load('callable=overload', [ANY()], [ANY()])('hello'), 'HELLO');
});

// ---- no parameters, return values

test(`${S}: testHelloWorld`, () => {
  assert.equal(load('callable=hello_world', null, [STR()])(), 'Hello World, from Python3');
});

test(`${S}: testReturnNull`, () => {
  assert.equal(load('callable=return_null', null, [t(T.metaffi_null_type)])(), null);
});

test(`${S}: testReturnMultipleReturnValues`, () => {
  const r = load('callable=return_multiple_return_values', null, [
    I64(), STR(), t(T.metaffi_float64_type), t(T.metaffi_null_type), t(T.metaffi_uint8_array_type, 1), H(),
  ])() as unknown[];
  assert.equal(r.length, 6);
  assert.equal(r[0], 1);
  assert.equal(r[1], 'string');
  near(r[2], 3.0);
  assert.equal(r[3], null);
  assert.deepEqual(nums(r[4]), [1, 2, 3]);
  assertHandle(r[5], 'result[5]');
});

test(`${S}: testReturnCallbackAdd`, () => {
  const add = load('callable=return_callback_add', null, [t(T.metaffi_callable_type)])() as (a: number, b: number) => unknown;
  assert.equal(typeof add, 'function');
  assert.equal(add(3, 4), 7);
});

test(`${S}: testGetThreeBuffers`, () => {
  const r = load('callable=get_three_buffers', null, [t(T.metaffi_array_type, 1)])() as unknown[];
  assert.ok(Array.isArray(r), `get_three_buffers() returned ${String(r)}`);
  assert.deepEqual(r.map(nums), [[1, 2, 3, 4], [5, 6, 7], [8, 9]]);
});

test(`${S}: testGetSomeClasses`, () => {
  const r = load('callable=get_some_classes', null, [t(T.metaffi_handle_array_type, 1)])() as unknown[];
  assert.equal(r.length, 3);
  for (const h of r) assertHandle(h, 'get_some_classes()[i]');
});

test(`${S}: testReturnsBytesBuffer`, () => {
  assert.deepEqual(nums(load('callable=returns_bytes_buffer', null, [t(T.metaffi_uint8_array_type, 1)])()), [1, 2, 3]);
});

test(`${S}: testMake1DArray`, () => {
  assert.deepEqual(nums(load('callable=make_1d_array', null, [t(T.metaffi_int64_array_type, 1)])()), [1, 2, 3]);
});

test(`${S}: testMake2DArray`, () => {
  assert.deepEqual(load('callable=make_2d_array', null, [t(T.metaffi_int64_array_type, 2)])(), [[1, 2], [3, 4]]);
});

test(`${S}: testMake3DArray`, () => {
  assert.deepEqual(load('callable=make_3d_array', null, [t(T.metaffi_int64_array_type, 3)])(), [[[1], [2]], [[3], [4]]]);
});

test(`${S}: testMakeRaggedArray`, () => {
  assert.deepEqual(load('callable=make_ragged_array', null, [t(T.metaffi_int64_array_type, 2)])(), [[1, 2, 3], [4], [5, 6]]);
});

test(`${S}: testDefaultArgs`, () => {
  const r = load('callable=default_args', null, [ANY(), ANY(), ANY()])() as unknown[];
  assert.equal(r[0], 1);
});

test(`${S}: testBaseClassStaticValue`, () => {
  assert.equal(load('callable=BaseClass.static_value', null, [I64()])(), 42);
});

test(`${S}: testModuleStateConstant`, () => {
  assert.equal(load('attribute=CONSTANT_FIVE_SECONDS,getter', null, [I64()])(), 5);
});

test(`${S}: testGetSetCounter`, () => {
  const get = load('callable=get_counter', null, [I64()]);
  load('callable=set_counter', [I64()], null)(0);
  assert.equal(get(), 0);
});

// ---- Python classes

test(`${S}: testSomeClassCreateAndPrint`, () => {
  const obj = createPythonInstance('SomeClass', 'test_name');
  assert.equal(load('callable=SomeClass.print,instance_required', [H()], [STR()])(obj), 'Hello from SomeClass test_name');
});

test(`${S}: testSomeClassStr`, () => {
  const obj = createPythonInstance('SomeClass', 'abc');
  assert.match(load('callable=SomeClass.__str__,instance_required', [H()], [STR()])(obj) as string, /SomeClass/);
});

test(`${S}: testSomeClassEq`, () => {
  const a = createPythonInstance('SomeClass', 'same');
  const b = createPythonInstance('SomeClass', 'same');
  assert.equal(load('callable=SomeClass.__eq__,instance_required', [H(), H()], [t(T.metaffi_bool_type)])(a, b), true);
});

test(`${S}: testTestMapSetGetContains`, () => {
  const obj = createPythonInstance('TestMap');
  load('callable=TestMap.set,instance_required', [H(), STR(), ANY()], null)(obj, 'k', 42);
  assert.equal(load('callable=TestMap.contains,instance_required', [H(), STR()], [t(T.metaffi_bool_type)])(obj, 'k'), true);
});

test(`${S}: testBaseClassCreateAndMethod`, () => {
  const obj = createPythonInstance('BaseClass', 10);
  assert.equal(load('callable=BaseClass.base_method,instance_required', [H()], [I64()])(obj), 10);
});

test(`${S}: testDerivedClassOverride`, () => {
  const obj = createPythonInstance('DerivedClass', 10, 'extra_val');
  assert.equal(load('callable=DerivedClass.base_method,instance_required', [H()], [I64()])(obj), 20);
});

// ---- single_file_module.py

test(`${S}: testSingleFileHelloWorld`, () => {
  assert.match(load('callable=hello_world', null, [STR()], pyModuleFile)() as string, /Hello World/);
});

test(`${S}: testSingleFileReturnNull`, () => {
  assert.equal(load('callable=return_null', null, [t(T.metaffi_null_type)], pyModuleFile)(), null);
});

test(`${S}: testSingleFileSomeClass`, () => {
  const klass = load('attribute=SomeClass,getter', null, [H()], pyModuleFile)();
  const obj = load('callable=SomeClass.__new__', [H()], [H()], pyModuleFile)(klass);
  load('callable=SomeClass.__init__,instance_required', [H(), STR()], null, pyModuleFile)(obj, 'sf_test');
  assert.equal(load('callable=SomeClass.print,instance_required', [H()], [STR()], pyModuleFile)(obj), 'Hello from SomeClass sf_test');
});

test(`${S}: testSingleFileTestMap`, () => {
  const klass = load('attribute=TestMap,getter', null, [H()], pyModuleFile)();
  const obj = load('callable=TestMap.__new__', [H()], [H()], pyModuleFile)(klass);
  load('callable=TestMap.__init__,instance_required', [H()], null, pyModuleFile)(obj);
  load('callable=TestMap.set,instance_required', [H(), STR(), ANY()], null, pyModuleFile)(obj, 'k', 99);
  assert.equal(load('callable=TestMap.contains,instance_required', [H(), STR()], [t(T.metaffi_bool_type)], pyModuleFile)(obj, 'k'), true);
});

// ---- packed arrays

test(`${S}: testPackedArraySum1dInt`, () => {
  assert.equal(load('callable=sum_1d_int_array', [t(T.metaffi_int64_packed_array_type, 1)], [I64()])([1, 2, 3, 4, 5]), 15);
});

test(`${S}: testPackedArrayEcho1dInt`, () => {
  const fn = load('callable=echo_1d_int_array', [t(T.metaffi_int64_packed_array_type, 1)], [t(T.metaffi_int64_packed_array_type, 1)]);
  assert.deepEqual(nums(fn([100, 200, 300])), [100, 200, 300]);
});

test(`${S}: testPackedArrayEcho1dFloat`, () => {
  const fn = load('callable=echo_1d_float_array', [t(T.metaffi_float64_packed_array_type, 1)], [t(T.metaffi_float64_packed_array_type, 1)]);
  const r = nums(fn([1.5, 2.5, 3.5]));
  assert.equal(r.length, 3);
  [1.5, 2.5, 3.5].forEach((v, i) => near(r[i], v));
});

test(`${S}: testPackedArrayMake1dInt`, () => {
  assert.deepEqual(nums(load('callable=make_1d_int_array', null, [t(T.metaffi_int64_packed_array_type, 1)])()), [10, 20, 30, 40, 50]);
});
