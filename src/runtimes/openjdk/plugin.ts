import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { cachedBuild, toolIdentity } from '../../build/cached.js';
import { compileShared } from '../../build/native_build.js';
import { pathValue } from '../../entity_path.js';
import { MetaFFIError } from '../../errors.js';
import type { PathItem } from '../../native.js';
import { buildDir, filesIn, openjdkBridgeDir, openjdkPluginDir } from '../../paths.js';
import type { RuntimeAdapter, RuntimeLaunch } from '../adapter.js';
import { findJava, findOnPath as findOnPathOrNull, type JavaInfo } from './discovery.js';

/** Extra JVM options, whitespace-separated (e.g. "-Xmx2g -Dfoo=bar"). */
export const JVM_OPTIONS_ENV = 'METAFFI_JVM_OPTIONS';

const javaHelperSources = openjdkBridgeDir;

/** The plugin (runtimes/openjdk/plugin/). JNI is stable across JDKs: one build serves them all. */
export function openjdkPlugin(info: JavaInfo): string {
  const output = join(buildDir(), 'plugins', 'openjdk', 'metaffi_openjdk.so');
  if (!info.include) {
    if (existsSync(output)) return output;
    throw new MetaFFIError(`openjdk runtime: the plugin must be built, but ${info.home} has no include/jni.h ` +
      '(a JRE, not a JDK). Install a JDK or point JAVA_HOME to one.');
  }
  try {
    return compileShared({
      what: 'the openjdk plugin',
      sources: filesIn(openjdkPluginDir, '.c'),
      depends: filesIn(openjdkPluginDir, '.h'),
      output,
      includeDirs: [info.include, join(info.include, 'linux')],
    });
  } catch (e) {
    throw new MetaFFIError(`openjdk runtime: building the plugin failed: ${(e as Error).message}`);
  }
}

function javaSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...javaSources(full));
    else if (name.endsWith('.java')) out.push(full);
  }
  return out;
}

/** The helper classes (runtimes/openjdk/bridge/), compiled for Java 17 so that any newer JVM runs them. */
export function openjdkHelperClasses(info: JavaInfo): string {
  const out = join(buildDir(), 'java', 'classes');
  const javac = info.javac ?? findOnPathOrNull('javac');
  if (!javac) {
    if (existsSync(out)) return out;
    throw new MetaFFIError(`openjdk runtime: the Java helper classes must be compiled, but there is no javac ` +
      `in ${info.home}/bin or on PATH. Install a JDK or point JAVA_HOME to one.`);
  }
  const flags = ['--release', '17', '-encoding', 'UTF-8'];
  return cachedBuild({
    what: 'the openjdk helper classes',
    output: out,
    inputs: [javaHelperSources],
    recipe: [toolIdentity(javac), ...flags],
    build(tmp) {
      mkdirSync(tmp, { recursive: true });
      try {
        execFileSync(javac, [...flags, '-d', tmp, ...javaSources(javaHelperSources)], { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        const err = e as { stderr?: Buffer; message: string };
        throw new MetaFFIError(`openjdk runtime: compiling the Java helper classes failed: ${err.stderr?.toString() ?? err.message}`);
      }
    },
  });
}

/** The JVM options: ours, then the user's from METAFFI_JVM_OPTIONS. */
export function jvmOptions(): string[] {
  // -Xrs: the JVM installs no handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT, so they stay
  // with Node.js. The JVM's own handlers (SIGSEGV for implicit null checks and stack banging,
  // ...) chain to the handlers V8 installed before it (HotSpot's signal chaining).
  // UTF-8 as the default charset (what Java 18+ does anyway, JEP 400) and for System.out and
  // System.err, like Node.js, whatever the locale (sun.* for Java 17, the others for 19+).
  // -XX:-OmitStackTraceInFastThrow: an exception thrown often from JIT-compiled code keeps its
  // stack trace (HotSpot otherwise reuses one without a trace), so a MetaFFIError from hot code
  // still says where it came from. User options come later and win.
  const ours = ['-Xrs', '-Dfile.encoding=UTF-8', '-Dsun.stdout.encoding=UTF-8', '-Dsun.stderr.encoding=UTF-8',
    '-Dstdout.encoding=UTF-8', '-Dstderr.encoding=UTF-8', '-XX:-OmitStackTraceInFastThrow'];
  const user = (process.env[JVM_OPTIONS_ENV] ?? '').split(/\s+/).filter((o) => o !== '');
  // An embedded JVM shares its process with Node.js: the serial collector with a small young
  // generation keeps its memory small and flat (G1 grows the heap by a few hundred MiB before
  // it collects). Any collector or young-generation option of the user's replaces these.
  const gcChosen = user.some((o) => /^-XX:[+-]Use\w*GC$|^-Xmn|^-XX:(Max)?NewSize=|^-XX:NewRatio=/.test(o));
  const memory = gcChosen ? [] : ['-XX:+UseSerialGC', '-Xmn16m'];
  return [...ours, ...memory, ...user];
}

/** Module path parts that name the JDK or one of its modules rather than a file. */
export const JDK_NAMES = /^(jdk|java|jre|rt\.jar|java\.[a-z.]+|jdk\.[a-z.]+|jrt:\/.*)$/i;

export const openjdk: RuntimeAdapter = {
  id: 2,
  name: 'openjdk',
  aliases: ['jvm', 'java'],
  entityPath: {
    runtime: 'openjdk',
    keys: ['class', 'callable', 'field'],
    tags: ['instance_required', 'getter', 'setter'],
    oneOf: [['callable', 'field']],
    required: ['class'],
  },
  launch(): RuntimeLaunch {
    const info = findJava();
    const plugin = openjdkPlugin(info);
    const classes = openjdkHelperClasses(info);
    const config = [`libjvm=${info.libjvm}`, `classes=${classes}`, ...jvmOptions().map((o) => `option=${o}`)];
    return { libraries: [], plugin, config: config.join('\n') };
  },
  entityName(items: PathItem[]): string {
    const cls = pathValue(items, 'class') ?? '?';
    const member = pathValue(items, 'callable') ?? pathValue(items, 'field') ?? '?';
    return `${cls}.${member}`;
  },
  modulePath(path: string): string {
    const parts = path.split(';').map((p) => p.trim()).filter((p) => p !== '');
    if (parts.length === 0) throw new MetaFFIError(`openjdk module path '${path}' names no jar or class folder`);
    const resolved = parts.map((p) => {
      if (JDK_NAMES.test(p)) return p;
      const abs = isAbsolute(p) ? p : resolve(p);
      if (!existsSync(abs)) {
        throw new MetaFFIError(`openjdk module path: no such jar, class folder or .java file: ${p}` +
          (abs !== p ? ` (${abs})` : '') + '; module paths are .jar files, class folders and .java sources joined with \';\'');
      }
      const st = statSync(abs);
      if (!st.isDirectory() && !/\.(jar|zip|java)$/i.test(abs)) {
        throw new MetaFFIError(`openjdk module path: ${p} is neither a .jar file, a class folder nor a .java source`);
      }
      return abs;
    });
    const sources = resolved.filter((p) => /\.java$/i.test(p));
    if (sources.length === 0) return resolved.join(';');
    const rest = resolved.filter((p) => !/\.java$/i.test(p));
    return [compileJavaSources(sources, rest.filter((p) => !JDK_NAMES.test(p))), ...rest].join(';');
  },
};

/**
 * `.java` files in a module path: compiled together (against the module path's jars and
 * class folders) into a class folder under build/, reused while the sources are unchanged.
 */
function compileJavaSources(sources: string[], classpath: string[]): string {
  const key = createHash('sha256');
  for (const f of [...sources, ...classpath]) {
    const st = statSync(f);
    key.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
  }
  const out = join(buildDir(), 'java', 'sources', key.digest('hex').slice(0, 20));
  const info = findJava();
  const javac = info.javac ?? findOnPathOrNull('javac');
  if (!javac) {
    if (existsSync(out)) return out;
    throw new MetaFFIError(`openjdk module path: compiling ${sources.join(', ')} needs javac, which is not in ` +
      `${info.home}/bin nor on PATH; install a JDK, or give the compiled classes (a jar or class folder) instead`);
  }
  const cp = classpath.length ? ['-cp', classpath.join(delimiter)] : [];
  const flags = ['-parameters', '-g', '-encoding', 'UTF-8', ...cp];
  return cachedBuild({
    what: `the Java sources ${sources.join(', ')}`,
    output: out,
    inputs: [...sources, ...classpath],
    recipe: [toolIdentity(javac), ...flags, ...sources],
    build(tmp) {
      mkdirSync(tmp, { recursive: true });
      try {
        execFileSync(javac, [...flags, '-d', tmp, ...sources], { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        const err = e as { stderr?: Buffer; stdout?: Buffer; message: string };
        const said = `${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`.trim();
        throw new MetaFFIError(`openjdk module path: compiling ${sources.join(', ')} failed:\n${said || err.message}`);
      }
    },
  });
}
