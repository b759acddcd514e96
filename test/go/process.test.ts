import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { goGuest } from './guests.js';

const S = T.metaffi_string8_type;

describe('go: the seed example, one guest per process, release', () => {
  const hello = goGuest('hello/hello.go');
  const guest = goGuest('guest');
  const runtime = new MetaFFIRuntime('go');

  it('SayHello from a package main file', () => {
    const mod = runtime.loadModule(hello);
    const sayHello = mod.loadEntity('callable=SayHello', [S], [S]);
    assert.equal(sayHello('TypeScript'), 'Hello, TypeScript!');
  });

  it('loading the same guest again gives the same library', () => {
    const again = runtime.loadModule(hello + '.so');
    assert.equal(again.loadEntity('callable=SayHello', [S], [S])('again'), 'Hello, again!');
  });

  it('a second, different Go guest is refused with a clear error', () => {
    assert.throws(() => runtime.loadModule(guest), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.match(e.message, /the Go guest .*hello_MetaFFIGuest\.so is already loaded/);
      assert.match(e.message, /a process holds one Go guest/);
      return true;
    });
    const mod = runtime.loadModule(hello); // the first one still works
    assert.equal(mod.loadEntity('callable=SayHello', [S], [S])('still'), 'Hello, still!');
  });

  it('a library that is not a Go guest is refused', () => {
    assert.throws(() => runtime.loadModule('/usr/lib/x86_64-linux-gnu/libm.so.6'), /already loaded|not a MetaFFI Go guest/);
  });

  it('releasing the runtime makes entities, handles and Go funcs fail cleanly; loading again works', () => {
    const mod = runtime.loadModule(hello);
    const sayHello = mod.loadEntity('callable=SayHello', [S], [S]);
    runtime.releaseRuntimePlugin();
    assert.throws(() => sayHello('x'), (e: unknown) => e instanceof MetaFFIError && /the go runtime was released/.test(e.message));
    assert.throws(() => runtime.loadModule(hello), /released/);
    assert.throws(() => runtime.releaseRuntimePlugin(), /already released/);
    runtime.loadRuntimePlugin();
    const again = runtime.loadModule(hello).loadEntity('callable=SayHello', [S], [S]);
    assert.equal(again('back'), 'Hello, back!');
  });
});
