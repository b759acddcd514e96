import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, MetaFFIHandle, type MetaFFIModule } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { goGuest } from './guests.js';

const I = T.metaffi_int64_type;
const A = T.metaffi_any_type;
const C = T.metaffi_callable_type;
const H = T.metaffi_handle_type;

let go: MetaFFIModule;
let py: MetaFFIModule;
before(() => {
  // Python first, then Go: both runtimes, their threads and signal handlers, in this process.
  py = new MetaFFIRuntime('python3').loadModule(fixture('go', 'py_helpers.py'));
  go = new MetaFFIRuntime('go').loadModule(goGuest('guest'));
});

describe('go and python3 in one process', () => {
  it('calls both', () => {
    assert.equal(go.loadEntity('callable=Add', [I, I], [I])(2, 3), 5);
    assert.equal(py.loadEntity('callable=identity', [A], [A])('x'), 'x');
  });

  it('a Python function as a Go callback (Go calls Python)', () => {
    const makeMul = py.loadEntity('callable=make_mul', [I], [C]);
    const apply = go.loadEntity('callable=Apply', [C, I], [I]);
    assert.equal(apply(makeMul(3), 7), 21);
  });

  it('a Go func as a Python callback (Python calls Go)', () => {
    const adder = go.loadEntity('callable=Adder', [I], [C]);
    const callWith = py.loadEntity('callable=call_with', [C, A], [A]);
    assert.equal(callWith(adder(10), 5), 15);
  });

  it('JS -> Python -> Go -> Python and JS, nested', () => {
    const makeMul = py.loadEntity('callable=make_mul', [I], [C]);
    const compose = go.loadEntity('callable=Compose', [C, C], [C]);
    const callWith = py.loadEntity('callable=call_with', [C, A], [A]);
    const f = compose(makeMul(2), (x: number) => x + 1); // Go func: JS(Python(x))
    assert.equal(callWith(f, 20), 41);
  });

  it('JS callbacks through Go still work with Python loaded', () => {
    const apply = go.loadEntity('callable=Apply', [C, I], [I]);
    assert.equal(apply((x: number) => x - 1, 1), 0);
  });

  it('a Go handle passes through Python and back intact', () => {
    const newPoint = go.loadEntity('callable=NewPoint', [T.metaffi_float64_type, T.metaffi_float64_type], [H]);
    const getX = go.loadEntity('field=Point.X,getter,instance_required', [H], [T.metaffi_float64_type]);
    const identity = py.loadEntity('callable=identity', [A], [A]);
    const back = identity(newPoint(4, 5));
    assert.ok(back instanceof MetaFFIHandle);
    assert.equal(back.runtime, 'go');
    assert.equal(getX(back), 4);
  });

  it('a Python object passes through Go and back intact', () => {
    const dict = py.loadEntity('callable=identity', [A], [H]);
    const echo = go.loadEntity('callable=EchoAny', [A], [A]);
    const obj = dict({ a: 1 }); // a Python dict, as a handle
    const back = echo(obj);
    assert.ok(back instanceof MetaFFIHandle);
    assert.equal(back.runtime, 'python3');
    assert.equal(back.foreignType, 'dict');
  });

  it('a Python exception in a Python callback called by Go reaches JS', () => {
    const fail = py.loadEntity('callable=make_mul', [I], [C]); // a working one first
    const apply = go.loadEntity('callable=Apply', [C, I], [I]);
    assert.equal(apply(fail(1), 9), 9);
    const failing = py.loadEntity('attribute=fail,getter', null, [C])();
    assert.throws(() => apply(failing, 3), (e: unknown) =>
      e instanceof MetaFFIError && e.message === 'ValueError: bad 3');
  });
});
