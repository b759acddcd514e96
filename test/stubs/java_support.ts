/** The Java fixture of the stubs tests and the programs that use its stubs. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findJdkTool } from '../../src/runtimes/openjdk/discovery.js';
import { fixture, repoRoot } from '../support/fixtures.js';

export const calcSource = fixture('stubs', 'java', 'com', 'example', 'Calc.java');

/** Compile Calc.java into `dir` (a class folder); with -parameters when `names` is true. */
export function compileCalc(dir: string, names: boolean): string {
  mkdirSync(dir, { recursive: true });
  execFileSync(findJdkTool('javac'), [...(names ? ['-parameters'] : []), '-d', dir, '-sourcepath', fixture('stubs', 'java'), calcSource],
    { stdio: 'pipe' });
  return dir;
}

/** A jar of the class folder `classes`. */
export function jarOf(classes: string, jar: string): string {
  execFileSync(findJdkTool('jar'), ['cf', jar, '-C', classes, '.'], { stdio: 'pipe' });
  return jar;
}

/** A user program against Calc_MetaFFIHost.ts: overloads, static and instance members,
 * fields, nested classes, callbacks. */
export const calcProgram = `
import { strict as assert } from 'node:assert';
import { bindModuleToCode, Calc, Calc_Memo, Receipt } from './Calc_MetaFFIHost.js';

bindModuleToCode(process.argv[2]!);
const c = new Calc();
const d = new Calc(40n);
assert.equal(d.addToMemory(2), 42);
assert.equal(c.memory, 0);
c.memory = 7;
assert.equal(c.addToMemory(1), 8);
const copy: Calc = d.copy();
assert.ok(copy instanceof Calc);
assert.equal(copy.memory, 42);
const receipt: Receipt = d.receipt();
assert.equal(receipt.text(), 'total 42');
assert.equal(receipt.total, 42);
const i: number = Calc.add(2, 3);
assert.equal(i, 5);
assert.equal(Calc.add(0.5, 0.25), 0.75);
const s: string = Calc.add('ab', 'cd');
assert.equal(s, 'abcd');
assert.equal(Calc.START, 0);
assert.ok(Calc.made >= 3);
Calc.made = 100;
assert.equal(Calc.made, 100);
assert.equal(Calc.reduce([1, 2, 3, 4], (a: number, b: number) => a * b), 24);
assert.deepEqual(Calc.grid(2), [['0,0', '0,1'], ['1,0', '1,1']]);
assert.equal(Calc.identity('same'), 'same');
Calc.note('text');
Calc.note(3);
assert.equal(Calc.notes, 101);
const memo = new Calc_Memo('hi');
assert.equal(memo.shout(), 'HI');
memo.text = 'yo';
assert.equal(memo.text, 'yo');
assert.throws(() => Calc.add(true as unknown as number, 1), /Calc\\.add: no overload takes \\(boolean, number\\)/);
console.log('calc: all calls returned the expected values');
`;

export function assertRan(r: { status: number | null; stdout: string; stderr: string }, expected: string): void {
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), expected);
}

export const calcExpected = 'calc: all calls returned the expected values';

export function classFolder(dir: string): string {
  return join(dir, 'classes');
}

/** log4j-api and log4j-core 2.21.1, fetched once with Maven into build/deps/stubs-log4j. */
export function log4jJars(): { api: string; core: string } {
  const dir = join(repoRoot, 'build', 'deps', 'stubs-log4j');
  const jar = (name: string) => join(dir, `${name}-2.21.1.jar`);
  for (const name of ['log4j-api', 'log4j-core']) {
    if (existsSync(jar(name))) continue;
    mkdirSync(dir, { recursive: true });
    execFileSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=org.apache.logging.log4j:${name}:2.21.1`,
      `-DoutputDirectory=${dir}`], { cwd: dir, stdio: 'pipe' });
  }
  return { api: jar('log4j-api'), core: jar('log4j-core') };
}
