/**
 * Errors that pass through several runtimes: a JS exception thrown in a callback several
 * foreign calls deep comes back to the JS caller at the top as one MetaFFIError whose cause
 * is the original exception object, with a message that does not repeat itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { guestClasses } from '../support/java.js';
import { goGuest } from '../go/guests.js';

type Fn = (...args: unknown[]) => unknown;
const C = T.metaffi_callable_type, A = T.metaffi_any_type, I64 = T.metaffi_int64_type;
const py = new MetaFFIRuntime('python3').loadModule(fixture('python', 'guest.py'));
const java = new MetaFFIRuntime('openjdk').loadModule(guestClasses());
const go = new MetaFFIRuntime('go').loadModule(goGuest('guest'));

/** Each runtime calls the JS function it is given with one value and returns its result. */
const through: Record<string, Fn> = {
  python3: py.loadEntity('callable=call_with', [C, A], [A]) as Fn,
  openjdk: java.loadEntity('class=guest.Guest,callable=applyFunction', [C, A], [A]) as Fn,
  go: go.loadEntity('callable=Apply', [C, I64], [I64]) as Fn,
};

describe('core: a JS exception through nested foreign calls', () => {
  const orders = [['python3', 'go'], ['openjdk', 'python3'], ['go', 'openjdk', 'python3'], ['python3', 'python3', 'python3'], ['openjdk', 'go', 'python3', 'openjdk']];
  const thrown: [string, () => unknown][] = [
    ['RangeError', () => new RangeError('too big')],
    ['TypeError', () => new TypeError('bad input')],
    ['Error', () => new Error('plain')],
    ['custom', () => Object.assign(new Error('custom one'), { name: 'CustomError', code: 42 })],
  ];
  for (const order of orders) {
    for (const [kind, make] of thrown) {
      it(`${order.join(' -> ')}: a ${kind} arrives as the cause of one MetaFFIError, unrepeated`, () => {
        const original = make() as Error;
        // JS -> order[0] -> JS -> order[1] -> ... -> JS throws
        const nest = (level: number): Fn => (x: unknown) => {
          if (level === order.length) throw original;
          return through[order[level]!]!(nest(level + 1), x);
        };
        assert.throws(() => nest(0)(1), (e: unknown) => {
          assert.ok(e instanceof MetaFFIError, String(e));
          assert.equal(e.cause, original);
          assert.ok(!(e.cause instanceof MetaFFIError));
          assert.ok(e.message.includes(`${original.name}: ${original.message}`), e.message);
          assert.doesNotMatch(e.message, /(Error: .*){2}|MetaFFIError/, e.message);
          return true;
        });
      });
    }
  }
});
