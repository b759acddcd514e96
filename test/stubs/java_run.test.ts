/**
 * Java stubs end to end: stubs generated from Calc.java, a user program type-checked
 * against them under --strict, then run against the real JVM with the compiled classes as
 * the module. Needs the openjdk runtime plugin; without it it fails with the reason.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { metaffiOk, runProgram, typeCheck, workDir } from './helpers.js';
import { assertRan, calcExpected, calcProgram, calcSource, classFolder, compileCalc, jarOf } from './java_support.js';

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
});
