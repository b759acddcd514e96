import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo, MetaFFIError } from 'metaffi';
import { fixture } from '../support/fixtures.js';

const runtime = new MetaFFIRuntime('python3');
const guest = runtime.loadModule(fixture('python', 'guest.py'));
const F64 = T.metaffi_float64_type;

describe('python3 bad input is a clear error', () => {
  it('unknown runtime names list the known ones', () => {
    assert.throws(() => new MetaFFIRuntime('cobol'), { name: 'MetaFFIError', message: /unknown runtime 'cobol'.*python3/ });
    assert.throws(() => new MetaFFIRuntime(42 as unknown as string), TypeError);
  });

  it('entity paths with unknown keys or tags list what is accepted', () => {
    assert.throws(() => guest.loadEntity('function=multiply'), { name: 'MetaFFIError', message: /unknown key 'function'.*accept keys callable, attribute/ });
    assert.throws(() => guest.loadEntity('callable=multiply,static'), { name: 'MetaFFIError', message: /unknown tag 'static'.*instance_required/ });
    assert.throws(() => guest.loadEntity('instance_required'), { name: 'MetaFFIError', message: /needs exactly one of callable=\.\.\. or attribute=\.\.\./ });
    assert.throws(() => guest.loadEntity('callable=a,attribute=b'), { name: 'MetaFFIError', message: /found callable and attribute/ });
    assert.throws(() => guest.loadEntity('callable'), { name: 'MetaFFIError', message: /'callable' needs a value/ });
    assert.throws(() => guest.loadEntity('callable=f,callable=g'), { name: 'MetaFFIError', message: /appears twice/ });
    assert.throws(() => guest.loadEntity('attribute=x,getter,setter', null, [F64]), { name: 'MetaFFIError', message: /getter and setter/ });
    assert.throws(() => guest.loadEntity(''), TypeError);
    assert.throws(() => guest.loadEntity(undefined as unknown as string), TypeError);
  });

  it('unknown entities name what is missing and suggest close names', () => {
    assert.throws(() => guest.loadEntity('callable=multiplyy', [F64, F64], [F64]), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.match(e.message, /cannot load entity 'multiplyy'.*AttributeError: module 'guest' has no attribute 'multiplyy'; did you mean multiply/);
      return true;
    });
    assert.throws(() => guest.loadEntity('callable=Point.nrm2,instance_required'), /class 'Point' has no attribute 'nrm2'; did you mean norm2/);
    assert.throws(() => guest.loadEntity('attribute=NOPE,getter', null, [F64]), /has no attribute 'NOPE'/);
    assert.throws(() => guest.loadEntity('callable=GREETING'), /'GREETING' is 'str' object, which is not callable; use attribute=GREETING/);
    assert.throws(() => guest.loadEntity('attribute=GREETING', null, [F64]), /needs exactly one of the tags getter or setter/);
    assert.throws(() => guest.loadEntity('attribute=GREETING,getter', [F64], [F64]), /takes 0 parameters/);
    assert.throws(() => guest.loadEntity('callable=Point.origin_distance,instance_required', [F64]), /staticmethod; drop instance_required/);
  });

  it('bad type lists are TypeErrors', () => {
    assert.throws(() => guest.loadEntity('callable=multiply', [F64, 3]), { name: 'TypeError', message: /parameter type 2: 3 is not a MetaFFI type code/ });
    assert.throws(() => guest.loadEntity('callable=multiply', F64 as unknown as T[]), { name: 'TypeError', message: /must be an array/ });
    assert.throws(() => guest.loadEntity('callable=multiply', ['float64' as unknown as T]), { name: 'TypeError', message: /expected a MetaFFITypes value/ });
    assert.throws(() => guest.loadEntity('callable=multiply', [new MetaFFITypeInfo(T.metaffi_string8_type | T.metaffi_packed_type)]), TypeError);
    assert.throws(() => guest.loadEntity('callable=multiply', [new MetaFFITypeInfo(F64, undefined, -1)]), /dimensions/);
  });

  it('wrong arity and wrong argument types are TypeErrors that name the entity and position', () => {
    const mul = guest.loadEntity('callable=multiply', [F64, F64], [F64]);
    assert.throws(() => mul(), { name: 'TypeError', message: 'multiply expects 2 arguments (float64, float64), got 0' });
    assert.throws(() => mul(1, 2, 3), { name: 'TypeError', message: /expects 2 arguments/ });
    assert.throws(() => mul(1, '2'), { name: 'TypeError', message: 'multiply: argument 2: expected float64 (a number), got string "2"' });
    assert.throws(() => mul(1, 2n), { name: 'TypeError', message: /argument 2: expected float64/ });
    assert.throws(() => mul({}, 2), { name: 'TypeError', message: /argument 1: expected float64 \(a number\), got object/ });
    const greet = guest.loadEntity('callable=greet', [T.metaffi_string8_type], [T.metaffi_string8_type]);
    assert.throws(() => greet(Symbol('s')), TypeError);
  });

  it('a Python function returning the wrong type is a MetaFFIError naming the return value', () => {
    const greetAsNumber = guest.loadEntity('callable=greet', [T.metaffi_string8_type], [F64]);
    assert.throws(() => greetAsNumber('x'), { name: 'MetaFFIError', message: /TypeError: return value: expected a float, Python gave str/ });
  });

  it('custom exception classes keep their qualified name', () => {
    const raiseCustom = guest.loadEntity('callable=raise_custom', null, null);
    assert.throws(() => raiseCustom(), { name: 'MetaFFIError', message: 'guest.CustomError: custom failure', foreignType: 'guest.CustomError' });
  });

  it('the process goes on after many errors', () => {
    const boom = guest.loadEntity('callable=raise_value_error', [T.metaffi_string8_type], null);
    for (let i = 0; i < 1000; i++) assert.throws(() => boom(`e${i}`), MetaFFIError);
    const mul = guest.loadEntity('callable=multiply', [F64, F64], [F64]);
    assert.equal(mul(2, 3), 6);
  });
});

describe('python3 foreign stacks', () => {
  const stacks = runtime.loadModule(fixture('python', 'stacks.py'));
  const fail = stacks.loadEntity('callable=fail', [T.metaffi_int64_type, T.metaffi_string8_type], null);
  const expected = stacks.loadEntity('callable=expected', [T.metaffi_int64_type, T.metaffi_string8_type], [T.metaffi_string8_type]);
  for (const kind of ['value', 'empty', 'main', 'syntax', 'notes', 'unicode', 'other']) {
    for (const depth of [0, 3]) {
      it(`are the traceback Python prints: ${kind}, ${depth} frames deep`, () => {
        const want = expected(depth, kind) as string;
        assert.match(want, /^Traceback \(most recent call last\):\n {2}File ".*stacks\.py", line \d+, in fail\n/);
        assert.throws(() => fail(depth, kind), (e: unknown) => {
          assert.ok(e instanceof MetaFFIError);
          assert.equal(e.foreignStack, want);
          const last = want.trimEnd().split('\n').at(-1)!;
          if (kind === 'value') assert.equal(last, 'ValueError: deep failure');
          if (kind === 'empty') assert.equal(last, 'KeyError');
          if (kind === 'main') assert.equal(last, 'Odd: from main');
          if (kind === 'unicode') assert.equal(last, 'ValueError: caf\u00e9 \u2603');
          assert.equal((want.match(/in _inner\n/g) ?? []).length, depth + 1);
          return true;
        });
      });
    }
  }
});

describe('python3 foreign errors in JS', () => {
  it('carry every field, and their JS stack starts at the caller of the foreign function', () => {
    const raise = guest.loadEntity('callable=raise_value_error', [T.metaffi_string8_type], null);
    function callerOfPython(): void {
      raise('boom');
    }
    assert.throws(callerOfPython, (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.equal(Object.getPrototypeOf(e), MetaFFIError.prototype);
      assert.equal(e.name, 'MetaFFIError');
      assert.equal(e.message, 'ValueError: boom');
      assert.equal(e.runtime, 'python3');
      assert.equal(e.foreignType, 'ValueError');
      assert.equal(e.foreignMessage, 'boom');
      assert.match(e.foreignStack ?? '', /in raise_value_error\n/);
      assert.equal(e.cause, undefined);
      assert.ok(!('cause' in e));
      const frames = (e.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at '));
      assert.match(frames[0] ?? '', /callerOfPython/);
      return true;
    });
  });
});
