import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { guestClasses } from '../support/java.js';

const S = T.metaffi_string8_type;
const jvm = new MetaFFIRuntime('openjdk');
const dir = mkdtempSync(join(tmpdir(), 'metaffi-java-src-'));

describe('openjdk: .java sources as modules', () => {
  it('a .java file in a module path is compiled and loaded', () => {
    const file = join(dir, 'Greeter.java');
    writeFileSync(file, 'package src.demo;\npublic class Greeter {\n  public static String greet(String who) { return "hi " + who; }\n}\n');
    const m = jvm.loadModule(file);
    assert.equal(m.loadEntity('class=src.demo.Greeter,callable=greet', [S], [S])('there'), 'hi there');
  });

  it('sources compile against the jars and class folders beside them, and a change recompiles', () => {
    const file = join(dir, 'UsesGuest.java');
    writeFileSync(file, 'package src.demo;\npublic class UsesGuest {\n  public static String twice(String s) { return guest.Guest.concat(s, s); }\n}\n');
    const m = jvm.loadModule(`${file};${guestClasses()}`);
    assert.equal(m.loadEntity('class=src.demo.UsesGuest,callable=twice', [S], [S])('ab'), 'abab');
    writeFileSync(file, 'package src.demo2;\npublic class UsesGuest {\n  public static String thrice(String s) { return s + s + s; }\n}\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const again = jvm.loadModule(file);
    assert.equal(again.loadEntity('class=src.demo2.UsesGuest,callable=thrice', [S], [S])('x'), 'xxx');
  });

  it('a source that does not compile is a MetaFFIError with what javac said', () => {
    const file = join(dir, 'Broken.java');
    writeFileSync(file, 'public class Broken { int f() { return "no"; } }\n');
    assert.throws(() => jvm.loadModule(file), (e: unknown) =>
      e instanceof MetaFFIError && /compiling .*Broken\.java failed/.test(e.message) && /incompatible types/.test(e.message));
  });
});
