import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { fixture } from '../support/fixtures.js';

const runtime = new MetaFFIRuntime('python3');
const guest = runtime.loadModule(fixture('python', 'guest.py'));

describe('python3 functions', () => {
  it('calls a function with float64 arguments', () => {
    const mul = guest.loadEntity('callable=multiply', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_float64_type]);
    assert.equal(mul(3, 4), 12);
    assert.equal(mul(1.5, -2), -3);
  });

  it('returns undefined for a function without return types', () => {
    const f = guest.loadEntity('callable=no_op', null, null);
    assert.equal(f(), undefined);
  });

  it('load is the same as loadEntity', () => {
    const f = guest.load('callable=greet', [T.metaffi_string8_type], [T.metaffi_string8_type]);
    assert.equal(f('Ada'), 'hello, Ada');
  });

  it('imports siblings of the module file', () => {
    const f = guest.loadEntity('callable=loud', [T.metaffi_string8_type], [T.metaffi_string8_type]);
    assert.equal(f('hey'), 'HEY!');
  });

  it('raises Python exceptions as MetaFFIError with type, message and traceback', () => {
    const f = guest.loadEntity('callable=raise_value_error', [T.metaffi_string8_type], null);
    assert.throws(() => f('bad input'), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.message, 'ValueError: bad input');
      assert.equal(e.foreignType, 'ValueError');
      assert.equal(e.runtime, 'python3');
      assert.match(e.foreignStack ?? '', /raise_value_error/);
      assert.match(e.foreignStack ?? '', /Traceback/);
      return true;
    });
  });
});
