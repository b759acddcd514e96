import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/fixtures.js';
import { metaffiOk, typeCheck, workDir } from './helpers.js';

/** The README's Python stubs example runs as written: generated stubs, --strict, CPython. */
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Generated stubs'));
const python = section.slice(section.indexOf('### Python'));
const command = /```sh\nmetaffi (.*?)\s+#/.exec(python)?.[1];
const example = /```typescript\n([\s\S]*?)```/.exec(python)?.[1];

describe('README: generated stubs', () => {
  it('the Python example runs as written', () => {
    assert.ok(command && example, 'the README has a Python stubs example');
    const dir = workDir('readme-python');
    metaffiOk([...command.split(/\s+/), '-o', dir]);
    writeFileSync(join(dir, 'example.ts'), example);
    typeCheck(dir);
    const r = spawnSync(process.execPath, [join(dir, 'out', 'example.js')], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const expected = example.split('\n').filter((l) => /^\s*console\.log\(/.test(l) && l.includes('// '))
      .map((l) => l.slice(l.lastIndexOf('// ') + 3).trim());
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), expected);
  });
});
