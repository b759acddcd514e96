/**
 * CPython, a JVM and a Go guest in one Node.js process, loaded in every order: plain calls,
 * callbacks and callables that cross between all of them, handles passed through another
 * runtime, and the faults each runtime turns into signals (Go nil dereferences, the JVM's
 * implicit null checks in JIT-compiled code, V8's WebAssembly traps) with every signal
 * handler installed. Each order runs in its own process, since a process gets one JVM.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guestClasses } from '../support/java.js';
import { fixture } from '../support/fixtures.js';
import { runScript } from '../support/subprocess.js';
import { goGuest } from '../go/guests.js';

const paths = {
  python: fixture('go', 'py_helpers.py'),
  java: guestClasses(),
  go: goGuest('guest'),
};

function script(order: string[]): string {
  return `
import assert from 'node:assert/strict';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError, MetaFFIHandle } from 'metaffi';
const paths = ${JSON.stringify(paths)};
const I = T.metaffi_int64_type, I32 = T.metaffi_int32_type, S = T.metaffi_string8_type;
const A = T.metaffi_any_type, C = T.metaffi_callable_type, H = T.metaffi_handle_type;
const mods = {};
for (const rt of ${JSON.stringify(order)}) {
  mods[rt] = new MetaFFIRuntime(rt).loadModule(paths[rt === 'python3' ? 'python' : rt === 'openjdk' ? 'java' : 'go']);
}
const py = mods.python3, java = mods.openjdk, go = mods.go;
const j = (name, p, r) => java.loadEntity('class=guest.Guest,callable=' + name, p, r);
const g = (name, p, r) => go.loadEntity('callable=' + name, p, r);
const p = (name, p_, r) => py.loadEntity('callable=' + name, p_, r);

// plain calls into each
assert.equal(p('identity', [A], [A])('py ✓'), 'py ✓');
assert.equal(j('echoLong', [I], [I])(2n ** 62n + 1n), 2n ** 62n + 1n);
assert.equal(g('Add', [I, I], [I])(2, 3), 5);

// JS callbacks from each runtime
assert.equal(j('applyInt', [C, I32, I32], [I32])((a, b) => a * b, 6, 7), 42);
assert.equal(g('Apply', [C, I], [I])((x) => x + 1, 41), 42);
assert.equal(p('call_with', [C, A], [A])((x) => x * 2, 21), 42);

// callables crossing between the foreign runtimes
const mul3 = p('make_mul', [I], [C])(3);              // a Python lambda
assert.equal(g('Apply', [C, I], [I])(mul3, 7), 21);    // Go calls Python
const add10 = g('Adder', [I], [C])(10);                // a Go func
assert.equal(p('call_with', [C, A], [A])(add10, 5), 15); // Python calls Go
assert.equal(j('applyFunction', [C, A], [A])(add10, 5), 15); // Java calls Go
assert.equal(j('applyFunction', [C, A], [A])(mul3, 5), 15);  // Java calls Python
const times2 = java.loadEntity('class=guest.Guest,callable=multiplier', [I32], [C])(2); // a Java lambda
assert.equal(times2(4, 5), 40);
const composed = g('Compose', [C, C], [C])(mul3, (x) => x - 1); // Go func: JS(Python(x))
assert.equal(j('applyFunction', [C, A], [A])(composed, 5), 14);   // Java -> Go -> Python, JS

// a handle of one runtime through another and back
const pyObj = p('identity', [A], [H])(new Map([[1, 2]]));
assert.ok(pyObj instanceof MetaFFIHandle);
const back = j('echoObject', [H], [H])(pyObj);
assert.equal(String(back), String(pyObj));
assert.equal(j('same', [H, H], [T.metaffi_bool_type])(j('echoObject', [H], [H])(j('makeList', null, [H])()), j('makeList', null, [H])()), false);

// faults of every runtime, interleaved; every runtime goes on after each
const npeLoop = j('npeLoop', [T.metaffi_string8_array_type], [I32]);
const words = Array.from({ length: 40 }, (_, i) => 'w' + i);
for (let i = 0; i < 20000; i++) npeLoop(words);        // JIT-compiled by now
const wasmBytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1,
  7, 8, 1, 4, 108, 111, 97, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 40, 2, 0, 11]);
const load = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes)).exports.load;
const nilDeref = g('NilDeref', null, [I]);
const pyFail = p('fail', [A], [A]);
const deep = j('deep', [I32], [I32]);
for (let round = 0; round < 5; round++) {
  assert.throws(() => nilDeref(), (e) => e instanceof MetaFFIError && /panic/.test(e.message) && /nil pointer/.test(e.message));
  assert.throws(() => npeLoop([...words, null]), (e) => e instanceof MetaFFIError && e.foreignType === 'java.lang.NullPointerException');
  assert.throws(() => load(70000 + round * 100000), /memory access out of bounds/);
  // a Java stack overflow on the JS thread, which Go calls have given a signal stack
  assert.throws(() => deep(100_000_000), (e) => e instanceof MetaFFIError && e.foreignType === 'java.lang.StackOverflowError');
  assert.throws(() => pyFail(round), (e) => e instanceof MetaFFIError && e.foreignType === 'ValueError');
  // an entity function is a JS function too: lent to Go as its callback
  assert.throws(() => g('Apply', [C, I], [I])(pyFail, 1), (e) => e instanceof MetaFFIError && /bad 1/.test(e.message));
  assert.throws(() => j('applyFunction', [C, A], [A])(() => { throw new Error('from JS ' + round); }, 1),
    (e) => e instanceof MetaFFIError && new RegExp('from JS ' + round).test(e.message));
}
assert.equal(npeLoop(['ab', 'c']), 3);
assert.equal(deep(1000), 1000);
assert.equal(g('EchoString', [S], [S])('go still ✓'), 'go still ✓');
assert.equal(p('identity', [A], [A])(7), 7);
console.log('three runtimes ok: ' + ${JSON.stringify(order.join(' > '))});
`;
}

describe('python3, openjdk and go in one process', () => {
  const orders = [
    ['python3', 'openjdk', 'go'],
    ['go', 'openjdk', 'python3'],
    ['openjdk', 'go', 'python3'],
    ['python3', 'go', 'openjdk'],
  ];
  for (const order of orders) {
    it(`loaded in the order ${order.join(', ')}: calls, callbacks across all three, faults of each`, () => {
      const r = runScript('three-runtimes', script(order));
      assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.match(r.stdout, /three runtimes ok/);
    });
  }
});
