/**
 * Fetches log4j-api and log4j-core 2.21.1 with Maven (once; they are kept under
 * build/deps/log4j) for the demo and the tests. Returns the two jars joined with ';',
 * ready for loadModule.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOG4J_VERSION = '2.21.1';

/** The repository root: this file runs from .build/examples/java. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function log4jDir(): string {
  return join(repoRoot, 'build', 'deps', `log4j-${LOG4J_VERSION}`);
}

export function log4jJars(): string {
  const dir = log4jDir();
  const jars = ['log4j-api', 'log4j-core'].map((a) => join(dir, `${a}-${LOG4J_VERSION}.jar`));
  for (const [i, jar] of jars.entries()) {
    if (existsSync(jar)) continue;
    mkdirSync(dir, { recursive: true });
    const artifact = `org.apache.logging.log4j:${i === 0 ? 'log4j-api' : 'log4j-core'}:${LOG4J_VERSION}`;
    process.stderr.write(`metaffi: fetching ${artifact} with Maven into ${dir}\n`);
    try {
      execFileSync('mvn', ['-q', '-B', 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy',
        `-Dartifact=${artifact}`, `-DoutputDirectory=${dir}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60 * 1000 });
    } catch (e) {
      const err = e as { code?: string; stdout?: Buffer; stderr?: Buffer; message: string };
      if (err.code === 'ENOENT') {
        throw new Error(`fetching ${artifact} needs Maven, but mvn is not on PATH; install Maven (e.g. the maven package)`);
      }
      throw new Error(`fetching ${artifact} with Maven failed: ${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? err.message}`);
    }
    if (!existsSync(jar)) throw new Error(`Maven ran but ${jar} is missing`);
  }
  return jars.join(';');
}
