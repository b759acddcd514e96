/**
 * Test set-up for the openjdk tests: compiles the Java guest sources under
 * test/fixtures/java into .build/fixtures/java (a class folder and a jar), once per source
 * change. A missing JDK fails the tests with the reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findJdkTool } from '../../src/runtimes/openjdk/discovery.js';
import { fixture, repoRoot } from './fixtures.js';

export { log4jJars } from '../../examples/java/log4j.js';

function jdkTool(name: 'java' | 'javac' | 'jar'): string {
  return findJdkTool(name);
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sources(full));
    else if (name.endsWith('.java')) out.push(full);
  }
  return out;
}

const outRoot = join(repoRoot, '.build', 'fixtures', 'java');

function compile(name: string, classpath: string[]): string {
  const src = sources(fixture('java', name, 'src'));
  const out = join(outRoot, name);
  const stamp = join(out, '.built');
  if (existsSync(stamp) && src.every((f) => statSync(f).mtimeMs <= statSync(stamp).mtimeMs)) return out;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const cp = classpath.length ? ['-cp', classpath.join(delimiter)] : [];
  execFileSync(jdkTool('javac'), ['--release', '17', '-encoding', 'UTF-8', '-g', ...cp, '-d', out, ...src], { stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(stamp, '');
  return out;
}

/** The guest class folder (package guest). */
export function guestClasses(): string {
  return compile('guest', []);
}

/** The extra module as a jar (package extra; uses guest). */
export function extraJar(): string {
  const classes = compile('extra', [guestClasses()]);
  const jar = join(outRoot, 'extra.jar');
  if (!existsSync(jar) || statSync(jar).mtimeMs < statSync(join(classes, '.built')).mtimeMs) {
    execFileSync(jdkTool('jar'), ['--create', '--file', jar, '-C', classes, 'extra'], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return jar;
}
