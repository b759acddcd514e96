import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './support/fixtures.js';

describe('the demo (npm start)', () => {
  it('runs and prints the results of its foreign calls', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, '.build', 'examples', 'demo.js')], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /calc\.multiply\(3, 4\)\s+= 12/);
    assert.match(r.stdout, /statistics\.mean\(\[1, 2, 3, 4\]\) = 2\.5/);
    assert.match(r.stdout, /ZeroDivisionError/);
    assert.match(r.stdout, /Math\.max\(3, 9\)\s+= 9/);
    assert.match(r.stdout, /reduce\(\*\)\s+= 120/);
    assert.match(r.stdout, /java\.lang\.NumberFormatException: For input string: "12x"/);
    assert.match(r.stdout, /MetaFFIHandle\(openjdk org\.apache\.logging\.log4j\.core\.Logger\)/);
    assert.match(r.stdout, /ERROR metaffi\.demo - an error logged by log4j, called from TypeScript/);
    assert.match(r.stdout, /reduce\(python operator\.mul\) = 120/);
  });
});
