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
  });
});
