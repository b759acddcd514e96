#!/usr/bin/env node
/** The `metaffi` command: extract a foreign module's interface, build guests and stubs. */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileGuest, guestLanguages } from '../compiler/guest.js';
import { compileHost, hostLanguage, hostLanguages } from '../compiler/host.js';
import { MetaFFIError } from '../errors.js';
import { extractIdl } from '../idl/extract.js';
import { packageRoot } from '../paths.js';
import { buildXllr } from '../build/native_build.js';
import { findRuntime } from '../runtimes/index.js';
import { JDK_NAMES } from '../runtimes/openjdk/plugin.js';

/** What a host of another language needs to start a runtime through XLLR. */
function prepareRuntime(name: string, host: string | undefined, module: string | undefined): object {
  process.env.METAFFI_BUILD_QUIET ??= '1'; // stdout is the JSON; progress would only be noise
  const adapter = findRuntime(name);
  if (module !== undefined) return { module: adapter.modulePath(module) };
  return {
    id: adapter.id, name: adapter.name, xllr: buildXllr(), entityPath: adapter.entityPath,
    ...(adapter.name === 'openjdk' ? { jdkNames: JDK_NAMES.source } : {}),
    ...adapter.launch(host),
  };
}

const HELP = `metaffi - call Python, Java and Go from TypeScript in-process

Usage:
  metaffi -c --idl <source> -g go                 compile a Go guest: <name>_MetaFFIGuest.so
  metaffi -c --idl <source> -h typescript         write typed stubs: <name>_MetaFFIHost.ts
  metaffi -c --idl <source> -h python3            write typed Python stubs: <name>_MetaFFIHost.py
  metaffi -c --idl <source> -g go -h typescript   a guest and stubs
  metaffi -c --idl <source> -h typescript python3 stubs for several host languages
  metaffi --idl <source> --print-idl              print the extracted IDL as JSON
  metaffi --prepare-runtime <runtime> [--for-host python3] [--module <path>]
                                                  build what a runtime needs and print, as
                                                  JSON, how a host starts it, or with
                                                  --module, the module path it loads (used
                                                  by the Python host package)

<source> is one of:
  a Python .py file or package folder        (read by the Python interpreter itself)
  a Java .java file, .jar file or class folder (read by the JVM)
  a Go .go file or package folder             (read by the Go type checker)
  a MetaFFI IDL .json file

Options:
  -c, --compile           compile: build what -g and -h ask for
      --idl <source>      the foreign module to read
  -g, --guest <lang>      guest language to build (${guestLanguages.join(', ')}); repeatable
  -h, --host <lang>...    host languages to write stubs for: ${hostLanguages.join(', ')}
                          (also ts, python, py); several after one -h (-h typescript python3),
                          comma-separated (-h typescript,python3) or -h repeated
  -o, --output <dir>      where to write outputs (default: the current directory)
      --print-idl         print the IDL extracted from <source> as JSON and exit
      --help              show this help
      --version           show the version

Environment:
  METAFFI_PYTHON          the Python executable to use (default: python3 on PATH)
  JAVA_HOME               the JDK to use (default: java on PATH)
  PATH                    'go' on it (or /usr/local/go/bin/go) reads and builds Go sources;
                          GOFLAGS, GOPROXY, GOCACHE and the other Go variables apply

Go sources: a .go file is read alone, a folder as its package; a library package may
import other modules through its go.mod. -g go writes <name>_MetaFFIGuest.so.

Note: -h means --host, not help; use --help for this text.`;

interface Options {
  compile: boolean;
  idl?: string;
  guests: string[];
  hosts: string[];
  output: string;
  printIdl: boolean;
  prepareRuntime?: string;
  forHost?: string;
  module?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options | 'help' | 'version' {
  const opts: Options = { compile: false, guests: [], hosts: [], output: process.cwd(), printIdl: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || (v.startsWith('-') && v.length > 1)) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--help': case 'help': return 'help';
      case '--version': case '-v': return 'version';
      case '-c': case '--compile': opts.compile = true; break;
      case '--idl': opts.idl = take(); break;
      case '-g': case '--guest': case '--guest-lang': opts.guests.push(...take().split(',')); break;
      case '-h': case '--host': case '--host-lang':
        opts.hosts.push(...take().split(','));
        // `-h typescript python3`: the arguments up to the next flag are more languages
        if (inline === undefined) {
          while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) opts.hosts.push(...argv[++i]!.split(','));
        }
        break;
      case '-o': case '--output': opts.output = resolve(take()); break;
      case '--print-idl': opts.printIdl = true; break;
      case '--prepare-runtime': opts.prepareRuntime = take(); break;
      case '--for-host': opts.forHost = take(); break;
      case '--module': opts.module = take(); break;
      default: throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (opts.prepareRuntime !== undefined) return opts;
  if (!opts.idl) throw new UsageError('--idl <source> is required');
  if (!opts.printIdl && !opts.compile) throw new UsageError('nothing to do: give -c with -g and/or -h, or --print-idl');
  if (opts.compile && opts.guests.length === 0 && opts.hosts.length === 0) {
    throw new UsageError('-c needs -g <guest language> and/or -h <host language>');
  }
  return opts;
}

async function main(argv: string[]): Promise<number> {
  let opts: Options | 'help' | 'version';
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`metaffi: ${e.message}\nRun 'metaffi --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
  if (opts === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (opts === 'version') {
    const pkg = JSON.parse(readFileSync(resolve(packageRoot, 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`metaffi ${pkg.version}\n`);
    return 0;
  }
  if (opts.prepareRuntime !== undefined) {
    process.stdout.write(JSON.stringify(prepareRuntime(opts.prepareRuntime, opts.forHost, opts.module)) + '\n');
    return 0;
  }
  const idl = await extractIdl(opts.idl!);
  if (opts.printIdl) {
    process.stdout.write(JSON.stringify(idl, null, 2) + '\n');
    if (!opts.compile) return 0;
  }
  mkdirSync(opts.output, { recursive: true });
  // Each target once, however often it was named; guests first (the stubs may load them).
  for (const g of new Set(opts.guests)) {
    for (const f of await compileGuest(opts.idl!, idl, g, opts.output)) process.stderr.write(`metaffi: wrote ${f}\n`);
  }
  for (const h of new Set(opts.hosts.filter((x) => x !== '').map(hostLanguage))) {
    const command = `metaffi -c --idl ${opts.idl!} -h ${h}`;
    for (const f of await compileHost(idl, h, opts.output, command)) process.stderr.write(`metaffi: wrote ${f}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const msg = e instanceof MetaFFIError || e instanceof Error ? e.message : String(e);
    process.stderr.write(`metaffi: ${msg}\n`);
    process.exitCode = 1;
  },
);
