import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { MetaFFIError } from '../../errors.js';
import { buildDir, openjdkIdlSource } from '../../paths.js';
import { validateIdl } from '../../idl/json.js';
import type { IdlDefinition } from '../../idl/schema.js';
import { cachedBuild, toolIdentity } from '../../build/cached.js';
import { findJava, findJdkTool } from './discovery.js';
import { openjdkHelperClasses } from './plugin.js';

export { findJdkTool };

/** The extractor (runtimes/openjdk/idl/MetaFFIJavaIdl.java), compiled once into the build folder,
 * against the plugin's helper classes: it lists methods with the plugin's own filter. */
function extractorClassDir(helpers: string): string {
  const javac = findJdkTool('javac');
  return cachedBuild({
    what: 'the Java IDL extractor',
    output: join(buildDir(), 'java-idl'),
    inputs: [openjdkIdlSource, helpers],
    recipe: [toolIdentity(javac), helpers],
    build(tmp) {
      mkdirSync(tmp, { recursive: true });
      try {
        execFileSync(javac, ['-cp', helpers, '-d', tmp, openjdkIdlSource], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new MetaFFIError(`building the Java IDL extractor failed: ${err.stderr || err.message}`);
      }
    },
  });
}

/**
 * The IDL of Java classes: a .java source (compiled with -parameters; Javadoc kept), a .jar
 * or a class folder (several joined with ';'), read with reflection by the JVM itself.
 */
export function extractJavaIdl(source: string): IdlDefinition {
  const spec = source.split(';').filter((s) => s.trim() !== '').map((s) => resolve(s)).join(';');
  const java = findJdkTool('java');
  const helpers = openjdkHelperClasses(findJava());
  const classes = extractorClassDir(helpers);
  let out: string;
  try {
    out = execFileSync(java, ['-cp', [classes, helpers].join(delimiter), 'MetaFFIJavaIdl', spec], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024,
    });
  } catch (e) {
    if (e instanceof MetaFFIError) throw e;
    const err = e as { stderr?: string; message: string };
    const detail = (err.stderr ?? '').trim() || err.message;
    throw new MetaFFIError(`--idl: reading the Java classes of ${source} failed: ${detail}`);
  }
  return validateIdl(JSON.parse(out), source);
}
