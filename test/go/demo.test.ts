import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/fixtures.js';

describe('the demo (npm start), Go part', () => {
  it('calls SayHello of examples/go/hello.go', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, '.build', 'examples', 'demo.js')], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^go\s+hello\.SayHello\("TypeScript"\)\s+= Hello, TypeScript!$/m);
  });
});
