import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { guestClasses, log4jJars } from '../support/java.js';
import { runScript } from '../support/subprocess.js';

/** Every JDK 17+ installed in the usual place, each once. */
function installedJdks(): string[] {
  const root = '/usr/lib/jvm';
  const found = new Set<string>();
  if (!existsSync(root)) return [];
  for (const name of readdirSync(root)) {
    const home = realpathSync(join(root, name));
    if (!existsSync(join(home, 'lib', 'server', 'libjvm.so')) || !existsSync(join(home, 'release'))) continue;
    const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(join(home, 'release'), 'utf8'));
    if (m && Number(m[1]) >= 17) found.add(home);
  }
  return [...found].sort();
}

const classes = guestClasses();
const jars = log4jJars();
const jdks = installedJdks();

const script = `
  import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
  const jvm = new MetaFFIRuntime('openjdk');
  const m = jvm.loadModule(${JSON.stringify(classes)});
  const prop = m.loadEntity('class=java.lang.System,callable=getProperty', [T.metaffi_string8_type], [T.metaffi_string8_type]);
  const applyInt = m.loadEntity('class=guest.Guest,callable=applyInt', [T.metaffi_callable_type, T.metaffi_int32_type, T.metaffi_int32_type], [T.metaffi_int32_type]);
  const fail = m.loadEntity('class=guest.Guest,callable=fail', [T.metaffi_string8_type], null);
  const echo = m.loadEntity('class=guest.Guest,callable=echoString', [T.metaffi_string8_type], [T.metaffi_string8_type]);
  console.log('java.home', prop('java.home'));
  console.log('callback', applyInt((a, b) => a - b, 50, 8));
  try { fail('x'); } catch (e) { console.log('error', e instanceof MetaFFIError, e.foreignType); }
  console.log('string', echo('🎉 ok'));
  const log4j = jvm.loadModule(${JSON.stringify(jars)});
  const logger = log4j.loadEntity('class=org.apache.logging.log4j.LogManager,callable=getLogger', [T.metaffi_string8_type], [T.metaffi_handle_type])('jdk.test');
  log4j.loadEntity('class=org.apache.logging.log4j.Logger,callable=error,instance_required', [T.metaffi_handle_type, T.metaffi_string8_type], null)(logger, 'logged');
`;

describe('every installed JDK (JAVA_HOME selects it)', () => {
  it('finds at least one JDK 17+', () => assert.ok(jdks.length > 0, 'no JDK 17+ under /usr/lib/jvm'));

  for (const home of jdks) {
    it(`works with ${home}`, () => {
      const r = runScript('jdk', script, { JAVA_HOME: home });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`java\\.home ${home.replace(/[.]/g, '\\.')}`));
      assert.match(r.stdout, /callback 42/);
      assert.match(r.stdout, /error true java\.lang\.IllegalStateException/);
      assert.match(r.stdout, /string 🎉 ok/);
      assert.match(r.stdout, /ERROR jdk\.test - logged/);
    });
  }

  it('finds java on PATH when JAVA_HOME is not set, and explains when nothing is found', () => {
    const ok = runScript('jdkpath', script, { JAVA_HOME: undefined });
    assert.equal(ok.status, 0, ok.stderr);
    const none = runScript('nojdk', `
      import { MetaFFIRuntime } from 'metaffi';
      try { new MetaFFIRuntime('openjdk').loadRuntimePlugin(); } catch (e) { console.log(e.name + ': ' + e.message); }
    `, { JAVA_HOME: undefined, PATH: '/nonexistent' });
    assert.match(none.stdout, /MetaFFIError: openjdk runtime not found: JAVA_HOME is not set and there is no java on PATH/);
    const bad = runScript('badjdk', `
      import { MetaFFIRuntime } from 'metaffi';
      try { new MetaFFIRuntime('openjdk').loadRuntimePlugin(); } catch (e) { console.log(e.name + ': ' + e.message); }
    `, { JAVA_HOME: '/no/such/jdk' });
    assert.match(bad.stdout, /JAVA_HOME=\/no\/such\/jdk does not exist/);
  });
});

describe('JNI correctness under -Xcheck:jni', () => {
  it('a mixed workload prints no JNI warnings (no local reference leaks or misuse)', () => {
    const r = runScript('xcheck', `
      import { MetaFFIRuntime, MetaFFITypes as T, MetaFFITypeInfo } from 'metaffi';
      const m = new MetaFFIRuntime('openjdk').loadModule(${JSON.stringify(classes)});
      const f = (n, p, r) => m.loadEntity('class=guest.Guest,callable=' + n, p, r);
      const S = T.metaffi_string8_type, A = T.metaffi_any_type, H = T.metaffi_handle_type, C = T.metaffi_callable_type, I = T.metaffi_int32_type;
      const echo = f('echoString', [S], [S]), any = f('echoObject', [A], [A]), upper = f('upper', [T.metaffi_string8_array_type], [T.metaffi_string8_array_type]);
      const grid = f('transpose', [new MetaFFITypeInfo(T.metaffi_int32_array_type, undefined, 2)], [new MetaFFITypeInfo(T.metaffi_int32_array_type, undefined, 2)]);
      const make = m.loadEntity('class=guest.Guest,callable=<init>', [S], [H]), nameOf = f('nameOf', [H], [S]);
      const applyInt = f('applyInt', [C, I, I], [I]), fail = f('fail', [S], null), mixed = f('mixed', null, [A]);
      const times = f('multiplier', [I], [C])(2);
      for (let i = 0; i < 3000; i++) {
        echo('s' + i); any([i, 's', null, 1.5, [true]]); any({ k: i }); upper(['a', 'b', null]); grid([[1, 2], [3, 4]]);
        nameOf(make('n' + i)); applyInt((a, b) => a + b, i, 1); mixed(); times(i, 2);
        try { fail('x'); } catch {}
      }
      console.log('done');
    `, { METAFFI_JVM_OPTIONS: '-Xcheck:jni' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done/);
    // (-Xcheck:jni also lists signal handlers that are not the JVM's own: those are Node's, by design)
    assert.doesNotMatch(r.stdout + r.stderr, /WARNING in native method|FATAL ERROR|JNI local refs|JNI call made/);
  });
});
