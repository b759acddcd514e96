import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, type MetaFFIModule } from 'metaffi';
import { goGuest } from './guests.js';

// test/fixtures/go/withdeps imports github.com/google/uuid through its go.mod: building the
// guest fetches the module with the Go toolchain (into the module cache) when it is missing.
let ids: MetaFFIModule;
before(() => {
  ids = new MetaFFIRuntime('go').loadModule(goGuest('withdeps'));
});

describe('a Go library package that imports a third-party module', () => {
  it('calls a function that uses the module', () => {
    const newID = ids.loadEntity('callable=NewID', null, [T.metaffi_string8_type]);
    const a = newID();
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(newID(), a);
  });

  it('passes a value of a type from the module as a handle', () => {
    const parse = ids.loadEntity('callable=Parse', [T.metaffi_string8_type], [T.metaffi_handle_type]);
    const version = ids.loadEntity('callable=Version', [T.metaffi_handle_type], [T.metaffi_int64_type]);
    const u = parse('6ba7b810-9dad-11d1-80b4-00c04fd430c8');
    assert.equal(u.foreignType, '*uuid.UUID');
    assert.equal(version(u), 1);
  });

  it('the same value as bytes (uuid.UUID is a [16]byte)', () => {
    const parse = ids.loadEntity('callable=Parse', [T.metaffi_string8_type], [T.metaffi_uint8_array_type]);
    const version = ids.loadEntity('callable=Version', [T.metaffi_uint8_array_type], [T.metaffi_int64_type]);
    const bytes = parse('6ba7b810-9dad-11d1-80b4-00c04fd430c8');
    assert.equal(bytes.length, 16);
    assert.equal(bytes[0], 0x6b);
    assert.equal(version(bytes), 1);
    assert.throws(() => version([1, 2, 3]), /holds 16 elements, got 3/);
  });

  it('errors of the module become MetaFFIErrors', () => {
    const parse = ids.loadEntity('callable=Parse', [T.metaffi_string8_type], [T.metaffi_handle_type]);
    assert.throws(() => parse('not-a-uuid'), (e: unknown) => e instanceof MetaFFIError && /invalid UUID length/.test(e.message));
  });

  it('reads a package variable computed with the module', () => {
    const ns = ids.loadEntity('global=Namespace,getter', null, [T.metaffi_string8_type]);
    assert.equal(ns(), '6ba7b810-9dad-11d1-80b4-00c04fd430c8');
  });
});
