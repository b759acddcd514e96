/** Finding the JDK: the one lookup of JAVA_HOME / `java` on PATH, used by the runtime, the Java IDL
 * reader, the tests and the benchmark. A `java` on PATH is followed through its symlinks to
 * the real JDK, whose bin/ then gives every other tool (javac, jar). */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { MetaFFIError } from '../../errors.js';

/** The JDK (or JRE) this process uses. */
export interface JavaInfo {
  home: string;
  /** How it was found: "JAVA_HOME=..." or "java on PATH (...)". */
  foundBy: string;
  version: string;
  major: number;
  libjvm: string;
  /** The folder with jni.h, when this is a JDK. */
  include: string | null;
  javac: string | null;
}

let cached: JavaInfo | undefined;

export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

function readVersion(home: string): string {
  try {
    const release = readFileSync(join(home, 'release'), 'utf8');
    const m = /^JAVA_VERSION="([^"]+)"/m.exec(release);
    if (m) return m[1]!;
  } catch {
    // no release file: ask the java launcher
  }
  try {
    const out = execFileSync(join(home, 'bin', 'java'), ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /version "([^"]+)"/.exec(out);
    if (m) return m[1]!;
  } catch (e) {
    const m = /version "([^"]+)"/.exec(String((e as { stderr?: string }).stderr ?? ''));
    if (m) return m[1]!;
  }
  return 'unknown';
}

function javaFrom(home: string, foundBy: string): JavaInfo {
  const libCandidates = ['lib/server/libjvm.so', 'lib/client/libjvm.so', 'jre/lib/amd64/server/libjvm.so', 'lib/amd64/server/libjvm.so']
    .map((p) => join(home, p));
  const libjvm = libCandidates.find((p) => existsSync(p));
  if (!libjvm) {
    throw new MetaFFIError(`openjdk runtime: found Java at ${home} (${foundBy}), but no libjvm.so under it ` +
      `(looked for ${libCandidates.join(', ')}). Point JAVA_HOME to a JDK 17 or newer.`);
  }
  const version = readVersion(home);
  const major = Number(/^(?:1\.)?(\d+)/.exec(version)?.[1] ?? 0);
  if (major !== 0 && major < 17) {
    throw new MetaFFIError(`openjdk runtime: ${home} is Java ${version}; metaffi needs Java 17 or newer. ` +
      'Set JAVA_HOME to a newer JDK.');
  }
  const include = existsSync(join(home, 'include', 'jni.h')) ? join(home, 'include') : null;
  const javac = existsSync(join(home, 'bin', 'javac')) ? join(home, 'bin', 'javac') : null;
  return { home, foundBy, version, major, libjvm, include, javac };
}

/** Find the JVM: JAVA_HOME, else `java` on PATH (symlinks followed to the real JDK). */
export function findJava(): JavaInfo {
  if (cached) return cached;
  const jdk = findJdkHome();
  if (!jdk) {
    throw new MetaFFIError(`openjdk runtime not found: JAVA_HOME is not set and there is no java on PATH (${process.env.PATH ?? ''}). ` +
      'Install a JDK 17 or newer (e.g. openjdk-17-jdk) or set JAVA_HOME.');
  }
  if (jdk.fromEnv && !existsSync(jdk.home)) {
    throw new MetaFFIError(`openjdk runtime: JAVA_HOME=${jdk.home} does not exist. Set it to a JDK 17 or newer, or unset it to use java on PATH.`);
  }
  const info = javaFrom(jdk.home, jdk.foundBy);
  cached = info;
  return info;
}

/** Where the JDK is: JAVA_HOME when set (even if it does not exist: callers say so), else the
 * JDK of `java` on PATH with symlinks resolved; null when there is neither. */
export function findJdkHome(): { home: string; foundBy: string; fromEnv: boolean } | null {
  const envHome = process.env.JAVA_HOME;
  if (envHome && envHome.trim() !== '') return { home: envHome, foundBy: `JAVA_HOME=${envHome}`, fromEnv: true };
  const java = findOnPath('java');
  if (!java) return null;
  const real = realpathSync(java);
  return { home: dirname(dirname(real)), foundBy: `java on PATH (${java} -> ${real})`, fromEnv: false };
}

/** A JDK tool (java, javac, jar) of the JDK findJdkHome finds. */
export function findJdkTool(tool: 'java' | 'javac' | 'jar'): string {
  const jdk = findJdkHome();
  if (!jdk) {
    throw new MetaFFIError(`${tool} not found: JAVA_HOME is not set and there is no java on PATH ` +
      `(${process.env.PATH ?? ''}); install a JDK (17 or newer) or set JAVA_HOME`);
  }
  const exe = join(jdk.home, 'bin', tool);
  if (existsSync(exe)) return exe;
  if (jdk.fromEnv) throw new MetaFFIError(`${tool} not found: JAVA_HOME=${jdk.home} has no bin/${tool}; point JAVA_HOME to a JDK (17 or newer)`);
  throw new MetaFFIError(`${tool} not found: the Java of ${jdk.foundBy} has no bin/${tool}; install a JDK (17 or newer) or set JAVA_HOME`);
}
