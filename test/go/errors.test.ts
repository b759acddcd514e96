import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, type MetaFFIModule } from 'metaffi';
import { goGuest } from './guests.js';

let guest: MetaFFIModule;
before(() => {
  guest = new MetaFFIRuntime('go').loadModule(goGuest('guest'));
});

const I = T.metaffi_int64_type;

describe('go errors and panics', () => {
  it('a trailing error result becomes a thrown MetaFFIError', () => {
    const divide = guest.loadEntity('callable=Divide', [I, I], [I]);
    assert.equal(divide(9, 3), 3);
    assert.throws(() => divide(1, 0), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.message, '*errors.errorString: division by zero');
      assert.equal(e.foreignType, '*errors.errorString');
      assert.equal(e.foreignMessage, 'division by zero');
      assert.equal(e.runtime, 'go');
      return true;
    });
  });

  it('an error next to several results', () => {
    const triple = guest.loadEntity('callable=Triple', [T.metaffi_bool_type], [T.metaffi_string8_type, I, T.metaffi_bool_type]);
    assert.throws(() => triple(true), /\*errors.errorString: triple failed|\*fmt.\w+: triple failed/);
  });

  it('a panic is recovered into a MetaFFIError with the panic value and the Go stack', () => {
    const must = guest.loadEntity('callable=MustPositive', [I], [I]);
    assert.throws(() => must(-3), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(e.message, 'panic: negative value -3');
      assert.equal(e.foreignType, 'panic');
      assert.match(e.foreignStack ?? '', /goroutine \d+/);
      assert.match(e.foreignStack ?? '', /guest\.MustPositive/);
      return true;
    });
    assert.equal(must(3), 3); // the process and the runtime go on
  });

  it('a nil pointer dereference (SIGSEGV inside Go) is a panic, not a crash', () => {
    const deref = guest.loadEntity('callable=NilDeref', null, [I]);
    for (let i = 0; i < 3; i++) {
      assert.throws(() => deref(), /panic: runtime error: invalid memory address or nil pointer dereference/);
    }
    const add = guest.loadEntity('callable=Add', [I, I], [I]);
    assert.equal(add(1, 2), 3);
  });

  it('an index out of range panic', () => {
    const name = guest.loadEntity('callable=Color.Name,instance_required', [I], [T.metaffi_string8_type]);
    assert.throws(() => name(7), /panic: runtime error: index out of range \[7\] with length 2/);
  });
});

describe('go load errors read plainly', () => {
  it('an error of the plugin itself does not repeat "MetaFFIError" in its message', () => {
    assert.throws(() => guest.loadEntity('callable=NoSuchFunction'), (e: unknown) =>
      e instanceof MetaFFIError && e.message.startsWith("cannot load entity 'NoSuchFunction': the Go guest has no function") &&
      !e.message.includes('MetaFFIError'));
    assert.throws(() => guest.loadEntity('callable=Add', [T.metaffi_string8_type, I], [I]), (e: unknown) =>
      e instanceof MetaFFIError && /^cannot load entity 'Add': Add parameter 1 is Go int/.test(e.message));
  });
});
