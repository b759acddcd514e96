import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IdlClass, IdlDefinition } from '../../src/idl/schema.js';
import { metaffi, metaffiOk, typeCheck, workDir } from './helpers.js';
import { calcProgram, calcSource, classFolder, compileCalc, jarOf } from './java_support.js';

function idlOf(source: string): IdlDefinition {
  return JSON.parse(metaffiOk(['--idl', source, '--print-idl']).stdout) as IdlDefinition;
}

function calcClass(idl: IdlDefinition, name = 'com.example.Calc'): IdlClass {
  const c = idl.modules[0]!.classes.find((k) => k.name === name);
  assert.ok(c, `${name} not in ${idl.modules[0]!.classes.map((k) => k.name).join(', ')}`);
  return c;
}

describe('Java stubs', () => {
  it('extracts a .java source: constructors, overloads, static and instance members, Javadoc', () => {
    const idl = idlOf(calcSource);
    assert.equal(idl.target_language, 'openjdk');
    assert.equal(idl.idl_source, 'Calc');
    const calc = calcClass(idl);
    assert.equal(calc.comment, 'A calculator with a memory, for the generated-stubs tests.');
    assert.deepEqual(calc.constructors.map((k) => k.entity_path), [
      { class: 'com.example.Calc', callable: '<init>' }, { class: 'com.example.Calc', callable: '<init>' }]);
    assert.equal(calc.constructors[1]!.comment, 'Make a calculator.\n@param memory what it starts with in memory');
    const adds = calc.methods.filter((m) => m.name === 'add');
    assert.deepEqual(adds.map((m) => m.parameters.map((p) => `${p.name}:${p.type}`).join(',')).sort(),
      ['a:float64,b:float64', 'a:int32,b:int32', 'a:string8,b:string8']);
    assert.deepEqual(adds.map((m) => m.overload_index).sort(), [0, 1, 2]);
    const add = calc.methods.find((m) => m.name === 'addToMemory')!;
    assert.deepEqual(add.entity_path, { class: 'com.example.Calc', callable: 'addToMemory', instance_required: 'true' });
    assert.deepEqual(add.parameters.map((p) => [p.name, p.type]), [['this_instance', 'handle'], ['value', 'int64']]);
    assert.equal(add.comment, 'Add to the memory; returns the new value.');
    const reduce = calc.methods.find((m) => m.name === 'reduce')!;
    assert.deepEqual(reduce.parameters.map((p) => [p.type, p.dimensions, p.type_alias]),
      [['int32', 1, 'int[]'], ['callable', 0, 'java.util.function.IntBinaryOperator']]);
    const words = calc.methods.find((m) => m.name === 'words')!;
    assert.deepEqual(words.return_values.map((p) => [p.type, p.type_alias]), [['handle', 'java.util.List']], 'generics erased');
    assert.equal(calc.methods.find((m) => m.name === 'identity')!.return_values[0]!.type, 'any');
    assert.ok(!calc.methods.some((m) => m.name === 'hashCode'), "Object's methods are left out");
    const field = (n: string) => calc.fields.find((f) => f.name === n)!;
    assert.deepEqual(field('memory').getter!.entity_path,
      { class: 'com.example.Calc', field: 'memory', getter: 'true', instance_required: 'true' });
    assert.deepEqual(field('made').setter!.entity_path, { class: 'com.example.Calc', field: 'made', setter: 'true' });
    assert.equal(field('START').setter, null, 'final fields have no setter');
    assert.equal(field('made').comment, 'How many calculators were made.');
    assert.equal(calcClass(idl, 'com.example.Calc$Memo').comment, 'A nested class.');
    // a class of a sibling source that Calc.java uses is compiled and read too
    assert.deepEqual(calcClass(idl, 'com.example.Receipt').fields.map((f) => [f.name, f.type, f.setter]), [['total', 'int64', null]]);
  });

  it('extracts class folders and jars (parameter names where the class files keep them)', () => {
    const dir = workDir('java-classes');
    const plain = compileCalc(join(dir, 'plain'), false);
    const named = compileCalc(join(dir, 'named'), true);
    const fromFolder = calcClass(idlOf(plain));
    assert.deepEqual(fromFolder.methods.find((m) => m.name === 'addToMemory')!.parameters.map((p) => p.name),
      ['this_instance', 'arg0']);
    const jar = jarOf(named, join(dir, 'calc.jar'));
    const fromJar = idlOf(jar);
    assert.equal(fromJar.idl_source, 'calc');
    assert.deepEqual(calcClass(fromJar).methods.find((m) => m.name === 'addToMemory')!.parameters.map((p) => p.name),
      ['this_instance', 'value']);
    assert.deepEqual(fromJar.modules[0]!.classes.map((c) => c.name), ['com.example.Calc', 'com.example.Calc$Memo', 'com.example.Receipt']);
  });

  it('generates stubs with overloads that type-check under --strict', () => {
    const dir = workDir('java-stubs');
    metaffiOk(['-c', '--idl', calcSource, '-h', 'typescript', '-o', dir]);
    const stub = readFileSync(join(dir, 'Calc_MetaFFIHost.ts'), 'utf8');
    assert.match(stub, /'class=com\.example\.Calc,callable=<init>',\s+\[T\.metaffi_int64_type\]/);
    assert.match(stub, /'class=com\.example\.Calc,field=memory,instance_required,getter'/);
    assert.match(stub, / {2}static add\(a: number, b: number\): number;\n(.*\n)* {2}static add\(a: string, b: string\): string;/);
    assert.match(stub, / {2}\/\*\*\n {3}\* Make a calculator\.\n {3}\* @param memory what it starts with in memory\n {3}\*\/\n {2}constructor\(memory: number \| bigint\);/);
    assert.match(stub, /export class Calc_Memo \{/);
    writeFileSync(join(dir, 'use_calc.ts'), calcProgram);
    typeCheck(dir);
    // the same stubs from the compiled classes
    const fromJar = workDir('java-stubs-jar');
    const jar = jarOf(compileCalc(classFolder(fromJar), true), join(fromJar, 'Calc.jar'));
    metaffiOk(['-c', '--idl', jar, '-h', 'typescript', '-o', fromJar]);
    writeFileSync(join(fromJar, 'use_calc.ts'), calcProgram);
    typeCheck(fromJar);
  });

  it('says which JDK it looked for when there is none', () => {
    const r = metaffi(['--idl', calcSource, '--print-idl'], undefined, { ...process.env, JAVA_HOME: '/nonexistent/jdk' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /java not found: JAVA_HOME=\/nonexistent\/jdk has no bin\/java; point JAVA_HOME to a JDK/);
  });

  it('reports Java sources that do not compile', () => {
    const dir = workDir('java-bad');
    const bad = join(dir, 'Bad.java');
    writeFileSync(bad, 'public class Bad { int f() { return "no"; } }\n');
    const r = metaffi(['--idl', bad, '--print-idl']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /reading the Java classes of .*Bad\.java failed: IOException: javac failed: Bad\.java:1: incompatible types/);
  });
});
