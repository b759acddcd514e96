import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { guestClasses } from '../support/java.js';
import { runScript } from '../support/subprocess.js';

const S = T.metaffi_string8_type;
const I32 = T.metaffi_int32_type;
const classes = guestClasses();
const jvm = new MetaFFIRuntime('openjdk');
const guest = jvm.loadModule(classes);

describe('the JVM and V8 in one process (signals, JIT, stacks, GC)', () => {
  it('a NullPointerException raised in JIT-compiled code (an implicit null check) is a MetaFFIError', () => {
    const npeLoop = guest.loadEntity('class=guest.Guest,callable=npeLoop', [T.metaffi_string8_array_type], [I32]);
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`);
    let total = 0;
    for (let i = 0; i < 20_000; i++) total += npeLoop(words); // compiled by C1/C2 by now
    assert.ok(total > 0);
    for (let round = 0; round < 5; round++) {
      assert.throws(() => npeLoop([...words, null as unknown as string]), (e: unknown) => {
        assert.ok(e instanceof MetaFFIError);
        assert.equal(e.foreignType, 'java.lang.NullPointerException');
        assert.match(e.foreignStack ?? '', /guest\.Guest\.npeLoop/);
        return true;
      });
    }
    assert.equal(npeLoop(['ab', 'c']), 3); // and the JVM goes on
  });

  it('a StackOverflowError on the JS thread is a MetaFFIError, and both runtimes go on', () => {
    const deep = guest.loadEntity('class=guest.Guest,callable=deep', [I32], [I32]);
    assert.equal(deep(1000), 1000);
    for (let round = 0; round < 3; round++) {
      assert.throws(() => deep(100_000_000), (e: unknown) => e instanceof MetaFFIError && e.foreignType === 'java.lang.StackOverflowError');
    }
    assert.equal(deep(2000), 2000);
    const jsDeep = (n: number): number => (n <= 0 ? 0 : 1 + jsDeep(n - 1));
    assert.equal(jsDeep(5000), 5000);
    assert.throws(() => jsDeep(1e9), RangeError); // V8's own stack limit still works
  });

  it('heavy allocation and explicit GCs in Java while JS allocates too', () => {
    const churn = guest.loadEntity('class=guest.Guest,callable=churn', [I32], [T.metaffi_int64_type]);
    const echo = guest.loadEntity('class=guest.Guest,callable=echoString', [S], [S]);
    for (let i = 0; i < 5; i++) {
      assert.equal(churn(5000), 5000 * 65536);
      const junk = Array.from({ length: 100_000 }, (_, k) => ({ k, s: `x${k}` }));
      assert.equal(junk.length, 100_000);
      assert.equal(echo('still here ✓'), 'still here ✓');
    }
  });

  it('SIGINT handlers of Node.js still run after the JVM started (-Xrs)', () => {
    const r = runScript('sigint', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const jvm = new MetaFFIRuntime('openjdk');
      const m = jvm.loadModule(${JSON.stringify(classes)});
      const inc = m.loadEntity('class=guest.Guest,callable=increment', null, [T.metaffi_int32_type]);
      inc();
      process.on('SIGINT', () => { console.log('got SIGINT after', inc()); process.exit(0); });
      process.kill(process.pid, 'SIGINT');
      setTimeout(() => { console.log('no SIGINT'); process.exit(3); }, 10000);
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /got SIGINT after 2/);
  });

  it('without a handler, SIGINT and SIGTERM end the process as Node.js does', () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const r = runScript('sigdefault', `
        import { MetaFFIRuntime } from 'metaffi';
        const m = new MetaFFIRuntime('jvm').loadModule(${JSON.stringify(classes)});
        m.loadEntity('class=guest.Guest,callable=noOp')();
        process.kill(process.pid, '${sig}');
        setTimeout(() => { console.log('still alive'); process.exit(3); }, 10000);
      `);
      assert.equal(r.signal, sig, `${sig}: status ${r.status}, stdout ${r.stdout}, stderr ${r.stderr}`);
    }
  });

  it('JVM options come from METAFFI_JVM_OPTIONS; bad ones give a clear error', () => {
    const ok = runScript('jvmopts', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('openjdk').loadModule('java.base');
      const prop = m.loadEntity('class=java.lang.System,callable=getProperty', [T.metaffi_string8_type], [T.metaffi_string8_type]);
      console.log(prop('metaffi.test'));
    `, { METAFFI_JVM_OPTIONS: '-Dmetaffi.test=from-env -Xmx256m' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'from-env');
    const bad = runScript('jvmbad', `
      import { MetaFFIRuntime } from 'metaffi';
      try { new MetaFFIRuntime('openjdk').loadRuntimePlugin(); console.log('loaded'); }
      catch (e) { console.log(e.constructor.name + ': ' + e.message); }
    `, { METAFFI_JVM_OPTIONS: '-Xno-such-option' });
    assert.equal(bad.status, 0, bad.stderr);
    assert.match(bad.stdout, /MetaFFIError: .*JNI_CreateJavaVM failed.*METAFFI_JVM_OPTIONS/);
  });
});

describe('V8 signal handlers still work after the JVM installed its own', () => {
  it('a WebAssembly out-of-bounds access (V8 trap handler, SIGSEGV) is still a WebAssembly RuntimeError', () => {
    // (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1,
      7, 8, 1, 4, 108, 111, 97, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 40, 2, 0, 11]);
    const wasm = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown) => { exports: Record<string, unknown> }; Module: new (b: Uint8Array) => unknown } }).WebAssembly;
    const inst = new wasm.Instance(new wasm.Module(bytes));
    const load = inst.exports.load as (p: number) => number;
    assert.equal(load(0), 0);
    for (let i = 0; i < 3; i++) assert.throws(() => load(70000 + i * 100000), /memory access out of bounds/);
    const echo = guest.loadEntity('class=guest.Guest,callable=echoLong', [T.metaffi_int64_type], [T.metaffi_int64_type]);
    assert.equal(echo(7), 7);
  });
});

describe('JVM start failures', () => {
  it('after a refused option, loading again is a clear error, not a crash', () => {
    const r = runScript('jvmretry', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const rt = new MetaFFIRuntime('openjdk');
      process.env.METAFFI_JVM_OPTIONS = '-Xbogus';
      try { rt.loadRuntimePlugin(); } catch (e) { console.log('first:', e.name); }
      process.env.METAFFI_JVM_OPTIONS = '';
      try {
        const m = rt.loadModule('java.base');
        console.log('second:', m.loadEntity('class=java.lang.Math,callable=abs', [T.metaffi_int32_type], [T.metaffi_int32_type])(-5));
      } catch (e) { console.log('second failed:', e.message); }
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /first: MetaFFIError/);
    assert.match(r.stdout, /second failed: .*the JVM failed to start earlier in this process .*-Xbogus.*restart the process/);
  });
});

describe('Java output', () => {
  it('what Java printed is flushed when the process exits, even with process.exit(), in UTF-8 in any locale', () => {
    const r = runScript('flush', `
      import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';
      const m = new MetaFFIRuntime('openjdk').loadModule('java.base');
      const out = m.loadEntity('class=java.lang.System,field=out,getter', null, [T.metaffi_handle_type])();
      const print = m.loadEntity('class=java.io.PrintStream,callable=print,instance_required', [T.metaffi_handle_type, T.metaffi_string8_type], null);
      console.log('js first');
      print(out, 'java without newline ✓');
      process.exit(0);
    `, { LANG: 'C', LC_ALL: 'C' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'js first\njava without newline ✓');
  });
});
