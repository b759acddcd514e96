import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFIError } from 'metaffi';
import { fixture } from '../support/fixtures.js';
import { metaffi } from './guests.js';

const work = mkdtempSync(join(tmpdir(), 'metaffi-go-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Fn { name: string; entity_path: Record<string, string>; parameters: { name: string; type: string; type_alias: string; dimensions: number }[];
  return_values: { name: string; type: string; type_alias: string; dimensions: number }[]; tags: Record<string, string>; instance_required?: boolean; comment: string }
interface Field { name: string; type: string; type_alias: string; getter: Fn | null; setter: Fn | null; comment: string; tags: Record<string, string> }
interface Idl {
  idl_source: string; idl_extension: string; idl_filename_with_extension: string; idl_full_path: string; metaffi_guest_lib: string; target_language: string;
  modules: { name: string; comment: string; functions: Fn[]; globals: Field[]; external_resources: string[];
    classes: { name: string; entity_path: unknown; constructors: Fn[]; release: Fn | null; methods: Fn[]; fields: Field[]; tags: Record<string, string> }[] }[];
}

describe('metaffi -c --idl <file.go> -g go', () => {
  it('builds a package main file into <name>_MetaFFIGuest.so in the current directory', () => {
    copyFileSync(fixture('go', 'hello', 'hello.go'), join(work, 'hello.go'));
    const r = metaffi(['-c', '--idl', 'hello.go', '-g', 'go'], work);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(work, 'hello_MetaFFIGuest.so')));
    assert.match(r.stderr, /wrote .*hello_MetaFFIGuest\.so/);
  });

  it('writes into -o DIR', () => {
    const out = join(work, 'out');
    const r = metaffi(['-c', '--idl', fixture('go', 'hello', 'hello.go'), '-g', 'go', '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(out, 'hello_MetaFFIGuest.so')));
  });

  it('builds a package main folder that has its own main and names like debug, errors, reflect', () => {
    const out = join(work, 'mainpkg');
    const r = metaffi(['-c', '--idl', fixture('go', 'mainpkg'), '-g', 'go', '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(out, 'mainpkg_MetaFFIGuest.so')));
  });

  it('shows the Go compiler errors with the user\'s file names', () => {
    const r = metaffi(['-c', '--idl', fixture('go', 'broken', 'broken.go'), '-g', 'go', '-o', join(work, 'broken')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /broken\.go:4:9: cannot use "not an int"/);
    assert.ok(!existsSync(join(work, 'broken', 'broken_MetaFFIGuest.so')));
  });

  it('a source that does not exist is a clear error', () => {
    const r = metaffi(['-c', '--idl', join(work, 'nope.go'), '-g', 'go']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nope\.go does not exist/);
  });

  it('--help documents every flag, the Go ones included', () => {
    const r = metaffi(['--help']);
    assert.equal(r.status, 0);
    for (const flag of ['-c, --compile', '--idl <source>', '-g, --guest', '-h, --host', '-o, --output', '--print-idl', '--help', '--version', "'go' on it"]) {
      assert.ok(r.stdout.includes(flag), `--help lacks ${flag}`);
    }
  });
});

describe('the go runtime plugin and foreign libraries', () => {
  it('a shared library that is not a Go guest is refused', () => {
    // This process has loaded no Go guest yet: the library itself is examined.
    assert.throws(() => new MetaFFIRuntime('go').loadModule('/usr/lib/x86_64-linux-gnu/libm.so.6'), (e: unknown) =>
      e instanceof MetaFFIError && /libm.so.6 is not a MetaFFI Go guest library \(it has no mffiGuestABI\)/.test(e.message));
  });
});

describe('metaffi --idl <go source> --print-idl', () => {
  const r = metaffi(['--idl', fixture('go', 'guest'), '--print-idl']);
  const idl = JSON.parse(r.stdout) as Idl;
  const mod = idl.modules[0]!;
  const fn = (name: string) => mod.functions.find((f) => f.name === name)!;
  const cls = (name: string) => mod.classes.find((c) => c.name === name)!;
  const glob = (name: string) => mod.globals.find((g) => g.name === name)!;

  it('prints the IDL of a package folder in MetaFFI\'s schema', () => {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(idl.target_language, 'go');
    assert.equal(idl.metaffi_guest_lib, 'guest_MetaFFIGuest');
    assert.equal(idl.idl_source, 'guest');
    assert.equal(idl.idl_full_path, fixture('go', 'guest'));
    assert.equal(mod.name, 'guest');
    assert.match(mod.comment, /Package guest is the Go guest/);
    assert.deepEqual(mod.external_resources, []);
  });

  it('functions: callable=Func, Go types as aliases, trailing errors as a tag', () => {
    const add = fn('Add');
    assert.deepEqual(add.entity_path, { callable: 'Add' });
    assert.equal(add.comment, 'Add adds two ints.');
    assert.deepEqual(add.parameters.map((p) => [p.name, p.type, p.type_alias, p.dimensions]), [['a', 'int64', 'int', 0], ['b', 'int64', 'int', 0]]);
    const divide = fn('Divide');
    assert.equal(divide.tags.has_error_return, 'true');
    assert.equal(divide.return_values.length, 1);
    const matrix = fn('Matrix');
    assert.deepEqual(matrix.return_values.map((p) => [p.type, p.type_alias, p.dimensions]), [['int64', '[][]int', 2]]);
    assert.deepEqual(fn('Apply').parameters[0]!.type, 'callable');
    assert.equal(fn('Apply').parameters[0]!.type_alias, 'func(int) int');
    assert.equal(fn('Describe').parameters[0]!.type, 'any');
    assert.equal(fn('NewPoint').return_values[0]!.type, 'handle');
    assert.equal(fn('NewPoint').return_values[0]!.type_alias, '*Point');
    assert.equal(fn('Concat').tags.variadic, 'true');
    assert.equal(fn('UpperRune').parameters[0]!.type_alias, 'rune');
    assert.equal(fn('UpperRune').parameters[0]!.type, 'int32');
    assert.equal(mod.functions.find((f) => f.name === 'Generic'), undefined); // generic: left out
    assert.match(r.stderr, /left out Generic/);
  });

  it('struct types: constructors, methods with instance_required, fields with getter and setter, release', () => {
    const point = cls('Point');
    assert.deepEqual(point.constructors.map((c) => [c.name, c.entity_path]), [['Point', { callable: 'new(Point)' }], ['NewPoint', { callable: 'NewPoint' }]]);
    const move = point.methods.find((m) => m.name === 'Move')!;
    assert.deepEqual(move.entity_path, { callable: 'Point.Move', instance_required: 'true' });
    assert.equal(move.instance_required, true);
    assert.equal(move.tags.receiver_pointer, 'true');
    assert.deepEqual(move.parameters.map((p) => p.name), ['this_instance', 'dx', 'dy']);
    assert.equal(point.methods.find((m) => m.name === 'Dist')!.tags.receiver_pointer, undefined);
    const x = point.fields.find((f) => f.name === 'X')!;
    assert.equal(x.type, 'float64');
    assert.equal(x.comment, 'X is the x coordinate.');
    assert.deepEqual(x.getter!.entity_path, { field: 'Point.X', getter: 'true', instance_required: 'true' });
    assert.deepEqual(x.setter!.entity_path, { field: 'Point.X', setter: 'true', instance_required: 'true' });
    assert.equal(x.getter!.name, 'GetX');
    assert.equal(point.fields.find((f) => f.name === 'tag'), undefined); // unexported
    assert.deepEqual(point.release!.entity_path, {});
    assert.equal(point.release!.instance_required, true);
    assert.deepEqual(cls('Derived').methods.map((m) => m.name), ['Describe']);
    assert.deepEqual(cls('Derived').fields.map((f) => f.name), ['Base', 'Extra', 'ID']);
  });

  it('interfaces and named types with methods', () => {
    assert.equal(cls('Shape').tags.interface, 'true');
    assert.deepEqual(cls('Shape').methods[0]!.entity_path, { callable: 'Shape.Area', instance_required: 'true' });
    assert.deepEqual(cls('Shape').constructors, []);
    assert.deepEqual(cls('Color').methods.map((m) => m.entity_path.callable), ['Color.Name']);
  });

  it('globals: variables with getter and setter, constants with a getter only', () => {
    const counter = glob('Counter');
    assert.deepEqual(counter.getter!.entity_path, { global: 'Counter', getter: 'true' });
    assert.deepEqual(counter.setter!.entity_path, { global: 'Counter', setter: 'true' });
    assert.equal(counter.type, 'int64');
    const pi = glob('Pi');
    assert.equal(pi.type, 'float64');
    assert.equal(pi.setter, null);
    assert.equal(pi.tags.constant, 'true');
    assert.equal(glob('Version').type, 'string8');
    assert.equal(glob('Red').type_alias, 'Color');
  });

  it('a single .go file, package main', () => {
    const h = metaffi(['--idl', fixture('go', 'hello', 'hello.go'), '--print-idl']);
    assert.equal(h.status, 0, h.stderr);
    const hi = JSON.parse(h.stdout) as Idl;
    assert.equal(hi.metaffi_guest_lib, 'hello_MetaFFIGuest');
    assert.equal(hi.idl_extension, '.go');
    assert.equal(hi.idl_filename_with_extension, 'hello.go');
    assert.deepEqual(hi.modules[0]!.functions.map((f) => [f.name, f.entity_path, f.comment]), [['SayHello', { callable: 'SayHello' }, 'SayHello greets someone.']]);
  });

  it('Go type errors are reported', () => {
    const b = metaffi(['--idl', fixture('go', 'broken', 'broken.go'), '--print-idl']);
    assert.equal(b.status, 1);
    assert.match(b.stderr, /does not compile:[\s\S]*broken\.go:4:9/);
  });

  it('has every key of MetaFFI\'s IDL schema', () => {
    for (const k of ['idl_source', 'idl_extension', 'idl_filename_with_extension', 'idl_full_path', 'metaffi_guest_lib', 'target_language', 'modules']) {
      assert.ok(k in idl, k);
    }
    for (const k of ['name', 'comment', 'tags', 'functions', 'classes', 'globals', 'external_resources']) assert.ok(k in mod, k);
  });
});
