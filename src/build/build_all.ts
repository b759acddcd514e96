/**
 * `npm install` step: build XLLR, the Node.js host binding and the plugins for the runtimes found on this
 * machine. A runtime that is missing is reported, not fatal: its plugin is built when it is
 * first used.
 */
import { buildCore } from './native_build.js';
import { findPython, python3Plugin } from '../runtimes/python3/index.js';
import { findJava, openjdkHelperClasses, openjdkPlugin } from '../runtimes/openjdk/index.js';
import { goPlugin } from '../runtimes/go/index.js';
import { buildGoExample } from '../compiler/go_guest.js';

process.env.METAFFI_BUILD_QUIET = '1'; // each step prints its own line below

function step(name: string, build: () => string): void {
  try {
    const out = build();
    console.log(`metaffi: built ${name} (${out})`);
  } catch (e) {
    console.log(`metaffi: skipped ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

console.log(`metaffi: built XLLR and the Node.js host binding (${buildCore()})`);
step('the python3 plugin', () => python3Plugin(findPython()));
step('the openjdk plugin', () => openjdkPlugin(findJava()));
step('the openjdk helper classes', () => openjdkHelperClasses(findJava()));
step('the go plugin', () => goPlugin());
step('the Go guest of examples/go/hello.go', () => buildGoExample());
