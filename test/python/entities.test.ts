import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIHandle, MetaFFIError } from 'metaffi';
import { fixture } from '../support/fixtures.js';

const runtime = new MetaFFIRuntime('python3');
const guest = runtime.loadModule(fixture('python', 'guest.py'));
const F64 = T.metaffi_float64_type;
const H = T.metaffi_handle_type;
const S = T.metaffi_string8_type;

const newPoint = guest.loadEntity('callable=Point', [F64, F64], [H]);
const norm2 = guest.loadEntity('callable=Point.norm2,instance_required', [H], [F64]);

describe('python3 classes and methods', () => {
  it('calls a class as a constructor and methods on the instance', () => {
    const p = newPoint(3, 4);
    assert.ok(p instanceof MetaFFIHandle);
    assert.equal(norm2(p), 25);
    const scale = guest.loadEntity('callable=Point.scale,instance_required', [H, F64], null);
    scale(p, 2);
    assert.equal(norm2(p), 100);
  });

  it('a method can return a new object of the class', () => {
    const moved = guest.loadEntity('callable=Point.moved,instance_required', [H, F64, F64], [H]);
    const q = moved(newPoint(1, 1), 2, 3);
    assert.equal(norm2(q), 9 + 16);
  });

  it('static and class methods need no instance', () => {
    const dist = guest.loadEntity('callable=Point.origin_distance', [F64, F64], [F64]);
    assert.equal(dist(3, 4), 5);
    const make = guest.loadEntity('callable=Point.make', [F64], [H]);
    assert.equal(norm2(make(2)), 8);
  });

  it('dispatches methods of subclasses by name', () => {
    const kind = guest.loadEntity('callable=Point.kind,instance_required', [H], [S]);
    const newPoint3 = guest.loadEntity('callable=Point3', [F64, F64, F64], [H]);
    assert.equal(kind(newPoint(0, 0)), 'point');
    assert.equal(kind(newPoint3(0, 0, 0)), 'point3');
  });

  it('properties through fget and fset', () => {
    const p = newPoint(1, 2);
    const getLabel = guest.loadEntity('callable=Point.label.fget,instance_required', [H], [S]);
    const setLabel = guest.loadEntity('callable=Point.label.fset,instance_required', [H, S], null);
    assert.equal(getLabel(p), '(1.0, 2.0)');
    setLabel(p, '(5, 6)');
    assert.equal(norm2(p), 61);
  });
});

describe('python3 attributes', () => {
  it('module attributes with getter and setter', () => {
    const get = guest.loadEntity('attribute=GREETING,getter', null, [S]);
    const set = guest.loadEntity('attribute=GREETING,setter', [S], null);
    const greet = guest.loadEntity('callable=greet', [S], [S]);
    assert.equal(get(), 'hello');
    set('hi');
    assert.equal(greet('Bob'), 'hi, Bob');
    set('hello');
  });

  it('class attributes', () => {
    const get = guest.loadEntity('attribute=Point.dims,getter', null, [T.metaffi_int64_type]);
    const set = guest.loadEntity('attribute=Point.dims,setter', [T.metaffi_int64_type], null);
    assert.equal(get(), 2);
    set(3);
    assert.equal(get(), 3);
    set(2);
  });

  it('instance attributes', () => {
    const p = newPoint(1, 2);
    const getX = guest.loadEntity('attribute=x,instance_required,getter', [H], [F64]);
    const setX = guest.loadEntity('attribute=x,instance_required,setter', [H, F64], null);
    assert.equal(getX(p), 1);
    setX(p, 10);
    assert.equal(getX(p), 10);
    assert.equal(norm2(p), 104);
    const getMissing = guest.loadEntity('attribute=nope,instance_required,getter', [H], [F64]);
    assert.throws(() => getMissing(p), { name: 'MetaFFIError', message: /AttributeError.*nope/ });
  });

  it('state changes made by calls are visible through attributes', () => {
    const inc = guest.loadEntity('callable=increment', null, [T.metaffi_int64_type]);
    const counter = guest.loadEntity('attribute=counter,getter', null, [T.metaffi_int64_type]);
    const before = counter() as number;
    inc();
    inc();
    assert.equal(counter(), before + 2);
  });
});

describe('python3 varargs and named arguments', () => {
  it('varargs takes the trailing array as *args', () => {
    const join = guest.loadEntity('callable=join_all,varargs', [S, T.metaffi_any_array_type], [S]);
    assert.equal(join('-', [1, 'b', 3.5]), '1-b-3.5');
    assert.equal(join('-', []), '');
  });

  it('named_args takes the trailing object as **kwargs', () => {
    const describeFn = guest.loadEntity('callable=describe,named_args', [S, T.metaffi_any_type], [S]);
    assert.equal(describeFn('box', { w: 2, h: 3 }), 'box h=3 w=2');
    assert.equal(describeFn('box', {}), 'box');
    assert.equal(describeFn('box', null), 'box');
    assert.throws(() => describeFn('box', [1]), { name: 'MetaFFIError', message: /named arguments/ });
  });

  it('varargs and named_args together', () => {
    const mixed = guest.loadEntity('callable=mixed,varargs,named_args',
      [T.metaffi_int64_type, T.metaffi_int64_array_type, T.metaffi_any_type], [T.metaffi_int64_type]);
    assert.equal(mixed(1, [2, 3], { scale: 10 }), 60);
    assert.equal(mixed(1, [], { scale: 2, extra: true }), 3);
  });
});

describe('python3 multiple return values', () => {
  it('a tuple becomes an array of the declared types', () => {
    const dm = guest.loadEntity('callable=divmod_pair', [T.metaffi_int64_type, T.metaffi_int64_type],
      [T.metaffi_int64_type, T.metaffi_int64_type]);
    assert.deepEqual(dm(17, 5), [3, 2]);
    const wrong = guest.loadEntity('callable=multiply', [T.metaffi_int64_type, T.metaffi_int64_type],
      [T.metaffi_int64_type, T.metaffi_int64_type]);
    assert.throws(() => wrong(2, 3), { name: 'MetaFFIError', message: /expected 2 return values/ });
  });
});

describe('python3 modules', () => {
  it('loads a package folder', () => {
    const pkg = runtime.loadModule(fixture('python', 'guest_pkg'));
    const area = pkg.loadEntity('callable=area', [F64, F64], [F64]);
    assert.equal(area(2, 3), 6);
    const version = pkg.loadEntity('attribute=VERSION,getter', null, [S]);
    assert.equal(version(), '1.2.3');
  });

  it('loads standard library modules by name', () => {
    const math = runtime.loadModule('math');
    assert.equal(math.loadEntity('callable=sqrt', [F64], [F64])(16), 4);
    assert.equal(math.loadEntity('attribute=pi,getter', null, [F64])(), Math.PI);
    const osPath = runtime.loadModule('os.path');
    assert.equal(osPath.loadEntity('callable=basename', [S], [S])('/a/b/c.txt'), 'c.txt');
    const json = runtime.loadModule('json');
    const dumps = json.loadEntity('callable=dumps,named_args', [T.metaffi_any_type, T.metaffi_any_type], [S]);
    assert.equal(dumps({ b: 1, a: [true, null] }, { sort_keys: true }), '{"a": [true, null], "b": 1}');
    const collections = runtime.loadModule('collections');
    const counter = collections.loadEntity('callable=Counter', [T.metaffi_any_type], [H]);
    const mostCommon = collections.loadEntity('callable=Counter.most_common,instance_required', [H, T.metaffi_int64_type], [T.metaffi_any_type]);
    assert.deepEqual(mostCommon(counter(['a', 'b', 'a', 'c', 'a', 'b']), 2), [['a', 3], ['b', 2]]);
    const statistics = runtime.loadModule('statistics');
    assert.equal(statistics.loadEntity('callable=median', [T.metaffi_float64_array_type], [F64])([5, 1, 3]), 3);
  });

  it('a missing module is a clear error', () => {
    assert.throws(() => runtime.loadModule('no_such_module_xyz'), { name: 'MetaFFIError', message: /ModuleNotFoundError.*no_such_module_xyz/ });
    assert.throws(() => runtime.loadModule('/nowhere/missing.py'), { name: 'MetaFFIError', message: /no such file.*missing\.py/ });
    assert.throws(() => runtime.loadModule(fixture('python', 'broken.py')), (e: unknown) => {
      assert.ok(e instanceof MetaFFIError);
      assert.match(e.message, /SyntaxError/);
      return true;
    });
  });
});
