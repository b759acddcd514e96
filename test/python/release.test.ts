import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, MetaFFIHandle } from 'metaffi';
import { fixture } from '../support/fixtures.js';

const F64 = T.metaffi_float64_type;

describe('python3 runtime release', () => {
  it('entities, modules and handles fail cleanly after release; load again works', () => {
    const runtime = new MetaFFIRuntime('python3');
    runtime.loadRuntimePlugin();
    runtime.loadRuntimePlugin(); // idempotent
    const guest = runtime.loadModule(fixture('python', 'guest.py'));
    const mul = guest.loadEntity('callable=multiply', [F64, F64], [F64]);
    const newPoint = guest.loadEntity('callable=Point', [F64, F64], [T.metaffi_handle_type]);
    const makeAdder = guest.loadEntity('callable=make_adder', [T.metaffi_int64_type], [T.metaffi_callable_type]);
    const p = newPoint(1, 2) as MetaFFIHandle;
    const add1 = makeAdder(1) as (x: number) => number;
    assert.equal(mul(2, 3), 6);

    runtime.releaseRuntimePlugin();

    assert.throws(() => mul(2, 3), { name: 'MetaFFIError', message: /multiply: the python3 runtime was released/ });
    assert.throws(() => add1(1), { name: 'MetaFFIError', message: /released with its runtime/ });
    assert.equal(p.released, true);
    assert.match(String(p), /released/);
    assert.throws(() => guest.loadEntity('callable=multiply', [F64, F64], [F64]), { name: 'MetaFFIError', message: /released; call loadRuntimePlugin\(\)/ });
    assert.throws(() => runtime.loadModule(fixture('python', 'guest.py')), { name: 'MetaFFIError', message: /released/ });
    assert.throws(() => runtime.releaseRuntimePlugin(), { name: 'MetaFFIError', message: /already released/ });
    p.release(); // releasing a handle of a released runtime does nothing

    runtime.loadRuntimePlugin();
    const again = runtime.loadModule(fixture('python', 'guest.py'));
    const mul2 = again.loadEntity('callable=multiply', [F64, F64], [F64]);
    assert.equal(mul2(4, 5), 20);
    assert.throws(() => mul(2, 3), MetaFFIError); // the old entity stays released
    const norm2 = again.loadEntity('callable=Point.norm2,instance_required', [T.metaffi_handle_type], [F64]);
    assert.throws(() => norm2(p), { name: 'TypeError', message: /handle was released together with its runtime/ });
  });

  it('another MetaFFIRuntime sees the release', () => {
    const a = new MetaFFIRuntime('python3');
    const b = new MetaFFIRuntime('python');
    a.loadRuntimePlugin();
    b.loadRuntimePlugin();
    a.releaseRuntimePlugin();
    assert.throws(() => b.loadModule('math'), { name: 'MetaFFIError', message: /released by another MetaFFIRuntime/ });
    b.loadRuntimePlugin();
    assert.equal(b.loadModule('math').loadEntity('callable=sqrt', [F64], [F64])(9), 3);
  });

  it('releasing a runtime that was never loaded is an error', () => {
    assert.throws(() => new MetaFFIRuntime('python3').releaseRuntimePlugin(), { name: 'MetaFFIError', message: /never loaded/ });
  });
});
