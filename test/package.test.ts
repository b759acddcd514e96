import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { repoRoot } from './support/fixtures.js';

describe('the metaffi package', () => {
  it('require() from CommonJS says it is an ES module and what to change', () => {
    const r = spawnSync(process.execPath, ['-e', "try { require('metaffi') } catch (e) { console.log(e.message) }"],
      { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /metaffi is an ES module: load it with `import/);
  });

  it('import() from CommonJS works', () => {
    const r = spawnSync(process.execPath, ['-e', "import('metaffi').then((m) => console.log(typeof m.MetaFFIRuntime, m.MetaFFITypes.metaffi_int64_type))"],
      { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function 32');
  });
});
