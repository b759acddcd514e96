/**
 * Objects that another native addon has wrapped (napi_wrap with its own pointer) are not
 * taken for the core's handles or JS-object records: passing one is a TypeError, never a
 * read of the other addon's memory.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
import { compileShared, napiIncludeDir } from '../../src/build/native_build.js';
import { guestClasses } from '../support/java.js';
import { fixture, repoRoot } from '../support/fixtures.js';

const addonPath = compileShared({
  sources: [fixture('native', 'other_addon.c')],
  output: join(repoRoot, 'build', 'test-native', 'other_addon.node'),
  includeDirs: [napiIncludeDir()],
});
const other = createRequire(import.meta.url)(addonPath) as { wrap<O extends object>(o: O): O };

const H = T.metaffi_handle_type;
const A = T.metaffi_any_type;
const C = T.metaffi_callable_type;
const wrappedByOther = /already wrapped by another native addon/;

describe('objects wrapped by another native addon', () => {
  it('python3: as a handle, as any and as a callable they are TypeErrors', () => {
    const guest = new MetaFFIRuntime('python3').loadModule(fixture('python', 'guest.py'));
    const echoH = guest.loadEntity('callable=echo', [H], [H]);
    const echoA = guest.loadEntity('callable=echo', [A], [A]);
    const twice = guest.loadEntity('callable=call_twice', [C, A], [A]);
    class Resource { constructor(readonly i: number) {} }
    for (let i = 0; i < 3; i++) {
      const obj = other.wrap(new Resource(i));
      assert.throws(() => echoH(obj), { name: 'TypeError', message: wrappedByOther });
      assert.throws(() => echoA(obj), { name: 'TypeError', message: wrappedByOther }); // lent by reference under any
      assert.throws(() => echoA([1, obj]), { name: 'TypeError', message: wrappedByOther });
      const fn = other.wrap((x: number) => x + 1);
      assert.throws(() => twice(fn, 1), { name: 'TypeError', message: wrappedByOther });
      // a plain object under any is converted by value (a dict), whoever wrapped it
      assert.deepEqual(echoA(other.wrap({ i })), { i });
    }
    assert.deepEqual(echoA({ plain: true }), { plain: true }); // and everything else still works
  });

  it('openjdk: the same', () => {
    const guest = new MetaFFIRuntime('openjdk').loadModule(guestClasses());
    const echo = guest.loadEntity('class=guest.Guest,callable=echoObject', [H], [H]);
    const applyFunction = guest.loadEntity('class=guest.Guest,callable=applyFunction', [C, A], [A]);
    assert.throws(() => echo(other.wrap({})), { name: 'TypeError', message: wrappedByOther });
    assert.throws(() => applyFunction(other.wrap((x: number) => x), 1), { name: 'TypeError', message: wrappedByOther });
    assert.equal(applyFunction((x: number) => x * 2, 21), 42);
  });
});
