import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
import { guestClasses } from '../support/java.js';

const jvm = new MetaFFIRuntime('openjdk');
const guest = jvm.loadModule(guestClasses());

describe('smoke', () => {
  it('calls', () => {
    const echo = guest.loadEntity('class=guest.Guest,callable=echoLong', [T.metaffi_int64_type], [T.metaffi_int64_type]);
    assert.equal(echo(42), 42);
    const cat = guest.loadEntity('class=guest.Guest,callable=concat', [T.metaffi_string8_type, T.metaffi_string8_type], [T.metaffi_string8_type]);
    assert.equal(cat('a🎉', 'é'), 'a🎉é');
  });
});
