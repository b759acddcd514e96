import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIHandle } from 'metaffi';
import { log4jJars } from '../support/java.js';
import { runScript } from '../support/subprocess.js';

// Fetched with Maven by the test set-up (once, into build/deps); fails with the reason if it cannot be.
const jars = log4jJars();

describe('log4j 2.21.1 (the flagship example)', () => {
  it('loads log4j-api;log4j-core, gets a logger and logs an error through the returned handle', () => {
    const r = runScript('log4j', `
      import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIHandle } from 'metaffi';
      const log4j = new MetaFFIRuntime('openjdk').loadModule(${JSON.stringify(jars)});
      const getLogger = log4j.loadEntity('class=org.apache.logging.log4j.LogManager,callable=getLogger',
        [T.metaffi_string8_type], [T.metaffi_handle_type]);
      const error = log4j.loadEntity('class=org.apache.logging.log4j.Logger,callable=error,instance_required',
        [T.metaffi_handle_type, T.metaffi_string8_type], null);
      const logger = getLogger('metaffi.test');
      console.log('handle', logger instanceof MetaFFIHandle, logger.foreignType);
      error(logger, 'an error from TypeScript ✓ 🎉');
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /handle true org\.apache\.logging\.log4j\.core\.Logger/);
    assert.match(r.stdout, /ERROR metaffi\.test - an error from TypeScript ✓ 🎉/);
  });

  it('works in this process too, with other logger methods and overloads', () => {
    const log4j = new MetaFFIRuntime('openjdk').loadModule(jars);
    const getLogger = log4j.loadEntity('class=org.apache.logging.log4j.LogManager,callable=getLogger',
      [T.metaffi_string8_type], [T.metaffi_handle_type]);
    const logger = getLogger('in.process');
    assert.ok(logger instanceof MetaFFIHandle);
    const getName = log4j.loadEntity('class=org.apache.logging.log4j.Logger,callable=getName,instance_required',
      [T.metaffi_handle_type], [T.metaffi_string8_type]);
    assert.equal(getName(logger), 'in.process');
    const isErrorEnabled = log4j.loadEntity('class=org.apache.logging.log4j.Logger,callable=isErrorEnabled,instance_required',
      [T.metaffi_handle_type], [T.metaffi_bool_type]);
    assert.equal(isErrorEnabled(logger), true);
    const errorWithArg = log4j.loadEntity('class=org.apache.logging.log4j.Logger,callable=error,instance_required',
      [T.metaffi_handle_type, T.metaffi_string8_type, T.metaffi_any_type], null);
    errorWithArg(logger, 'value is {}', 42);
  });
});
