/**
 * Go stubs end to end: `metaffi -c --idl geometry.go -g go -h typescript` builds the guest
 * library and the stubs in one run; a user program type-checks against the stubs under
 * --strict and runs against the Go guest. Needs the Go guest compiler and the go runtime
 * plugin (src/idl/go.ts, src/compiler/go_guest.ts, the go runtime); without them it fails
 * with the reason.
 */
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fixture } from '../support/fixtures.js';
import { findOne, metaffiOk, runProgram, typeCheck, workDir } from './helpers.js';

const geometry = fixture('stubs', 'go', 'geometry.go');

function program(stub: string): string {
  return `
import { strict as assert } from 'node:assert';
import * as geometry from './${stub}.js';
import { Rect } from './${stub}.js';

geometry.bindModuleToCode(process.argv[2]!);
assert.equal(geometry.Add(2, 3), 5);
assert.equal(geometry.Add(2n ** 62n, 1), 2n ** 62n + 1n);
assert.equal(geometry.Shout('go'), 'GO');
const r: Rect = geometry.NewRect(2, 3);
assert.ok(r instanceof Rect);
assert.equal(r.Area(), 6);
assert.equal(new Rect(5, 1).Area(), 5);
r.Width = 4;
assert.equal(r.Width, 4);
assert.equal(r.Rename('a'), '');
assert.equal(r.Name, 'a');
geometry.setScale(2);
assert.equal(geometry.getScale(), 2);
assert.equal(r.Area(), 48);
const big = geometry.NewRect(10, 10);
big.Name = 'big';
assert.equal(geometry.Largest([r, big]).Name, 'big');
console.log('geometry: all calls returned the expected values');
`;
}

describe('Go stubs (run)', () => {
  it('builds the guest and the stubs in one command, type-checks and runs a program against Go', () => {
    const dir = workDir('go-run');
    metaffiOk(['-c', '--idl', geometry, '-g', 'go', '-h', 'typescript', '-o', dir]);
    const guest = findOne(dir, '_MetaFFIGuest.so');
    const stub = basename(findOne(dir, '_MetaFFIHost.ts'), '.ts');
    writeFileSync(join(dir, 'use_geometry.ts'), program(stub));
    typeCheck(dir);
    const run = runProgram(dir, 'use_geometry', [guest]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'geometry: all calls returned the expected values');
  });
});
