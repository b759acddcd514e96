import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixture } from '../support/fixtures.js';
import { metaffi, metaffiOk, runProgram, typeCheck, workDir } from './helpers.js';
import type { IdlDefinition, IdlFunction } from '../../src/idl/schema.js';

const shapes = fixture('stubs', 'python', 'shapes.py');

/** A user program written against the generated shapes_MetaFFIHost.ts. */
const program = `
import { strict as assert } from 'node:assert';
import * as shapes from './shapes_MetaFFIHost.js';
import { Counter, Point } from './shapes_MetaFFIHost.js';

assert.throws(() => shapes.add(1, 2), /bindModuleToCode/);
shapes.bindModuleToCode(process.argv[2]!);

// functions, with 64-bit integers as number or bigint
const three: number | bigint = shapes.add(1, 2);
assert.equal(three, 3);
assert.equal(shapes.add(2n ** 60n, 1), 2n ** 60n + 1n);
// default values, keyword-only arguments, *args, non-literal defaults
assert.deepEqual(shapes.scale([1, 2]), [2, 4]);
assert.deepEqual(shapes.scale(new Float64Array([1, 2]), 3), [3, 6]);
assert.equal(shapes.greet('Ann'), 'hello, Ann!');
assert.equal(shapes.greet('Ann', '?', { shout: true }), 'HELLO, ANN?');
assert.equal(shapes.total(1, 2, 3, 4), 10);
assert.equal(shapes.total(), 0);
assert.equal(shapes.wrap('x'), '<x>');
assert.equal(shapes.wrap('x', ['[', ']']), '[x]');
assert.equal(shapes.wrap('x', ['(', ')'], 2), '((x))');
assert.equal(shapes.joined(['a', 'b']), 'a-b');
assert.equal(shapes.joined(['a', 'b'], { sep: '+' }), 'a+b');
assert.equal(shapes.tagged('x'), '[x]');
assert.equal(shapes.tagged('x', { upper: true }), '[X]');
assert.equal(shapes.tagged('x', ['<', '>']), '<x>');
assert.equal(shapes.tagged('x', ['<', '>'], { upper: true }), '<X>');
shapes.note('a');
shapes.note('b', []);
assert.deepEqual(shapes.notes(), ['a']);
// callbacks, several return values, untyped code, renamed names
assert.equal(shapes.apply((x: number) => x * 10, 4), 40);
const [lo, hi] = shapes.min_max([5, -1, 9]);
assert.deepEqual([lo, hi], [-1, 9]);
assert.equal(shapes.untyped('ab'), 'ababab');
assert.equal(shapes.default_(5), -5);

// classes: constructors, attributes, properties, methods, static and class methods
const p = new Point(3, 4, 'p');
assert.equal(p.norm(), 5);
assert.equal(p.x, 3);
p.x = 6;
p.y = 8;
assert.equal(p.norm(), 10);
assert.equal(p.label, 'p(6, 8)');
assert.equal(p.tag, 'p');
p.tag = 'q';
assert.equal(p.name, 'q');
const moved: Point = p.moved(1, 1);
assert.ok(moved instanceof Point);
assert.equal(moved.label, 'q(7, 9)');
assert.equal(Point.origin().name, 'origin');
assert.equal(Point.from_pair([1, 2]).label, '(1, 2)');
assert.equal(Point.dims, 2);
Point.dims = 3;
assert.equal(Point.dims, 3);
// objects in and out: arrays of them, None as null
assert.equal(shapes.find([p, moved], 'q')?.label, 'q(6, 8)');
assert.equal(shapes.find([p], 'zzz'), null);
assert.equal(shapes.describe(), 'nothing');
assert.equal(shapes.describe(null), 'nothing');
assert.equal(shapes.describe(moved), 'q(7, 9)');
assert.equal(p.release_(), 'released q');
// module attributes
assert.equal(shapes.getGREETING(), 'hello');
shapes.setGREETING('hi');
assert.equal(shapes.greet('Bo'), 'hi, Bo!');
assert.ok(Number(shapes.getMade()) >= 4);
const c = new Counter();
assert.equal(c.add(), 1);
assert.equal(c.add(5), 6);
c.count = 100;
assert.equal(c.count, 100);
{
  using tmp = new Counter(7);
  assert.equal(tmp.count, 7);
}
// errors
assert.throws(() => shapes.wrap('x', ['(', ')'], 2.5), /wrap: no overload takes \\(string, array, number\\)/);
assert.throws(() => p.moved(1, 'a' as unknown as number), TypeError);
p.release();
assert.throws(() => p.norm(), /released/);
console.log('shapes: all calls returned the expected values');
`;

function idlOf(source: string): IdlDefinition {
  return JSON.parse(metaffiOk(['--idl', source, '--print-idl']).stdout) as IdlDefinition;
}

describe('Python stubs', () => {
  it('extracts functions, classes, properties, attributes and docstrings', () => {
    const idl = idlOf(shapes);
    assert.equal(idl.target_language, 'python3');
    assert.equal(idl.idl_source, 'shapes');
    const m = idl.modules[0]!;
    assert.equal(m.comment, 'Shapes: a small Python module for the generated-stubs tests.');
    const fn = (name: string): IdlFunction => m.functions.find((f) => f.name === name)!;
    assert.deepEqual(fn('add').parameters.map((p) => [p.name, p.type]), [['a', 'int64'], ['b', 'int64']]);
    assert.equal(fn('add').comment, 'Add two integers.\n\nReturns their sum.');
    assert.deepEqual(fn('scale').parameters[1]!.tags, { default: '2.0' });
    assert.equal(fn('scale').return_values[0]!.dimensions, 1);
    assert.equal(fn('greet').entity_path.named_args, 'true');
    assert.equal(fn('total').entity_path.varargs, 'true');
    assert.equal(m.functions.filter((f) => f.name === 'wrap').length, 3, 'a non-literal default gives one form per arity');
    assert.equal(fn('min_max').return_values.length, 2);
    assert.equal(fn('find').return_values[0]!.is_optional, true);
    const point = m.classes.find((c) => c.name === 'Point')!;
    assert.equal(point.comment, 'A point in the plane.');
    assert.deepEqual(point.constructors[0]!.entity_path, { callable: 'Point' });
    assert.deepEqual(point.constructors[0]!.parameters.map((p) => p.type), ['float64', 'float64', 'string8']);
    const method = (name: string) => point.methods.find((x) => x.name === name)!;
    assert.deepEqual(method('norm').entity_path, { callable: 'Point.norm', instance_required: 'true' });
    assert.deepEqual(method('origin').entity_path, { callable: 'Point.origin' });
    const field = (name: string) => point.fields.find((f) => f.name === name)!;
    assert.equal(field('label').getter!.entity_path.callable, 'Point.label.fget');
    assert.equal(field('label').setter, null);
    assert.equal(field('tag').setter!.entity_path.callable, 'Point.tag.fset');
    assert.deepEqual(field('dims').getter!.entity_path, { attribute: 'Point.dims', getter: 'true' });
    assert.deepEqual(field('x').getter!.entity_path, { attribute: 'Point.x', getter: 'true', instance_required: 'true' });
    assert.equal(field('x').type, 'float64');
    assert.deepEqual(m.globals.map((g) => [g.name, g.type]), [['made', 'int64'], ['GREETING', 'string8'], ['ORIGIN_NAME', 'string8']]);
  });

  it('generates stubs that type-check under --strict and run against CPython', () => {
    const dir = workDir('python');
    const r = metaffiOk(['-c', '--idl', shapes, '-h', 'typescript', '-o', dir]);
    assert.match(r.stderr, /wrote .*shapes_MetaFFIHost\.ts/);
    const stub = readFileSync(join(dir, 'shapes_MetaFFIHost.ts'), 'utf8');
    assert.match(stub, /^\/\/ Generated by metaffi from shapes\.py/);
    assert.match(stub, /\/\*\* Distance from the origin\. \*\/\n {2}norm\(\): number \{/);
    writeFileSync(join(dir, 'use_shapes.ts'), program);
    typeCheck(dir);
    const run = runProgram(dir, 'use_shapes', [shapes]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'shapes: all calls returned the expected values');
  });

  it('handles dataclasses, enums, __slots__, subclasses and keyword-only parameters', () => {
    const dir = workDir('python-records');
    const records = fixture('stubs', 'python', 'records.py');
    metaffiOk(['-c', '--idl', records, '-h', 'typescript', '-o', dir]);
    writeFileSync(join(dir, 'use_records.ts'), `
import { strict as assert } from 'node:assert';
import { bindModuleToCode, Color, Item, Slotted, Sub, mixed, pos_only } from './records_MetaFFIHost.js';
bindModuleToCode(process.argv[2]!);
const i = new Item('a', 2);
assert.equal(i.total(3), 6);
assert.deepEqual(i.tags, []);
i.tags = ['x'];
assert.deepEqual(new Item('b', 1, ['t']).tags, ['t']);
assert.equal(Color.RED.name, 'RED');
assert.equal(Color.GREEN.value, 2);
assert.equal(new Slotted(1, 2).b, 2);
assert.equal(new Sub('s').extra(), null);
assert.equal(mixed(1, {}, [i]).name, 'RED');
assert.equal(pos_only(1, 2), 4);
assert.equal(pos_only(1, 2, { c: 10 }), 13);
console.log('records ok');
`);
    typeCheck(dir);
    const run = runProgram(dir, 'use_records', [records]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'records ok');
  });

  it('reads packages and writes several hosts once', () => {
    const dir = workDir('python-pkg');
    cpSync(fixture('python', 'guest_pkg'), join(dir, 'guest_pkg'), { recursive: true });
    const idl = idlOf(join(dir, 'guest_pkg'));
    assert.equal(idl.idl_source, 'guest_pkg');
    assert.deepEqual(idl.modules[0]!.functions.map((f) => f.name), ['area'], 'what the package exports from its submodules');
    assert.deepEqual(idl.modules[0]!.globals.map((g) => g.name), ['VERSION']);
    const r = metaffiOk(['-c', '--idl', join(dir, 'guest_pkg'), '-h', 'typescript', '-h', 'ts', '-o', dir]);
    assert.equal(r.stderr.match(/wrote/g)?.length, 1);
    writeFileSync(join(dir, 'use_pkg.ts'), `
import { area, bindModuleToCode, getVERSION } from './guest_pkg_MetaFFIHost.js';
bindModuleToCode(process.argv[2]!);
console.log(area(2, 3), getVERSION());
`);
    typeCheck(dir);
    const run = runProgram(dir, 'use_pkg', [join(dir, 'guest_pkg')]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), '6 1.2.3');
  });

  it('reports modules that fail to import, and missing sources', () => {
    const broken = metaffi(['--idl', fixture('python', 'broken.py'), '--print-idl']);
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /reading the Python module .*broken\.py failed: \w+Error/);
    const missing = metaffi(['-c', '--idl', 'no/such/file.py', '-h', 'typescript']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no\/such\/file\.py does not exist/);
    const unknown = metaffi(['-c', '--idl', fixture('python', 'guest.py'), '-h', 'cobol']);
    assert.match(unknown.stderr, /-h cobol: unknown host language; supported: typescript/);
  });
});
