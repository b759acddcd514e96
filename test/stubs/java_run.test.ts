/**
 * Java stubs end to end: stubs generated from Calc.java, a user program type-checked
 * against them under --strict, then run against the real JVM with the compiled classes as
 * the module. Needs the openjdk runtime plugin; without it it fails with the reason.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { metaffiOk, runProgram, typeCheck, workDir } from './helpers.js';
import { assertRan, calcExpected, calcProgram, calcSource, classFolder, compileCalc, jarOf, log4jJars } from './java_support.js';

describe('Java stubs (run)', () => {
  it('runs a program against the JVM through stubs generated from a .java source', () => {
    const dir = workDir('java-run');
    metaffiOk(['-c', '--idl', calcSource, '-h', 'typescript', '-o', dir]);
    writeFileSync(join(dir, 'use_calc.ts'), calcProgram);
    typeCheck(dir);
    const classes = compileCalc(classFolder(dir), true);
    assertRan(runProgram(dir, 'use_calc', [classes]), calcExpected);
  });

  it('runs the same program through stubs generated from a jar', () => {
    const dir = workDir('java-run-jar');
    const jar = jarOf(compileCalc(classFolder(dir), true), join(dir, 'Calc.jar'));
    metaffiOk(['-c', '--idl', jar, '-h', 'typescript', '-o', dir]);
    writeFileSync(join(dir, 'use_calc.ts'), calcProgram);
    typeCheck(dir);
    assertRan(runProgram(dir, 'use_calc', [jar]), calcExpected);
  });

  it('logs through log4j with stubs generated from log4j-api (thousands of entities, overloads)', () => {
    const dir = workDir('java-run-log4j');
    const { api, core } = log4jJars();
    metaffiOk(['-c', '--idl', api, '-h', 'typescript', '-o', dir]);
    writeFileSync(join(dir, 'use_log4j.ts'), `
import { bindModuleToCode, LogManager, type Logger } from './log4j-api-2.21.1_MetaFFIHost.js';
bindModuleToCode(process.argv[2]!);
const logger: Logger = LogManager.getLogger('stubs.test');
logger.error('hello from generated stubs');
console.log(logger.getName(), logger.isErrorEnabled());
`);
    typeCheck(dir);
    const r = runProgram(dir, 'use_log4j', [`${api};${core}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ERROR stubs\.test - hello from generated stubs\n/);
    assert.match(r.stdout, /^stubs\.test true$/m);
    assert.equal(r.stdout.match(/hello from generated stubs/g)?.length, 1, 'one overload called, once');
  });
});
