/**
 * Child process of signals.test.ts: loads the Go guest (its path in METAFFI_TEST_GUEST),
 * then runs one scenario given as argv[2] and prints what happened. A crash shows as a
 * signal or a non-zero exit status in the parent.
 */
import { spawnSync, spawn } from 'node:child_process';
import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';

const guest = new MetaFFIRuntime('go').loadModule(process.env.METAFFI_TEST_GUEST!);
const add = guest.loadEntity('callable=Add', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
const nilDeref = guest.loadEntity('callable=NilDeref', null, [T.metaffi_int64_type]);

// (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
const wasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x08, 0x01, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x00,
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b]);

interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { load: (i: number) => number } };
}

function wasmOutOfBounds(): string {
  const W = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
  const load = new W.Instance(new W.Module(wasm)).exports.load;
  if (load(16) !== 0) return 'bad read';
  try {
    load(70000);
    return 'no trap';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

function goPanic(): string {
  try {
    nilDeref();
    return 'no panic';
  } catch (e) {
    return (e as Error).message;
  }
}

const scenario = process.argv[2];
switch (scenario) {
  case 'segv': {
    // SIGSEGV from V8's WebAssembly bounds checks (non-Go code) goes to V8's handler; SIGSEGV
    // in Go code becomes a Go panic; in any order, many times.
    for (let i = 0; i < 5; i++) {
      console.log('wasm', wasmOutOfBounds());
      console.log('go', goPanic());
    }
    console.log('add', add(2, 3));
    break;
  }
  case 'children': {
    // SIGCHLD while Go threads exist: child processes are reaped by Node as usual.
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(spawnSync('sh', ['-c', `exit ${i}`]).status);
    console.log('codes', codes.join(','));
    const child = spawn('sh', ['-c', 'exit 7']);
    child.on('exit', (code) => console.log('async', code, add(1, 1)));
    break;
  }
  case 'usr2': {
    // Asynchronous signals stay with Node: a JS handler installed before and one after Go.
    let seen = 0;
    process.on('SIGUSR2', () => {
      seen++;
      if (seen === 3) {
        console.log('usr2', seen, add(seen, 1));
        process.exit(0);
      }
    });
    setTimeout(() => console.log('usr2 timeout', seen), 5000);
    for (let i = 0; i < 3; i++) setTimeout(() => process.kill(process.pid, 'SIGUSR2'), 10 * i);
    break;
  }
  case 'pipe': {
    // SIGPIPE: writing to a closed pipe is an EPIPE error in JS, not a dead process.
    // The child closes its end of the pipe at once and lives on for a while.
    const child = spawn('sh', ['-c', 'exec 0<&-; sleep 2'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      console.log('pipe', e.code, add(1, 2));
      child.kill();
    });
    const chunk = Buffer.alloc(1 << 16);
    setTimeout(() => { for (let i = 0; i < 64; i++) child.stdin.write(chunk); }, 200);
    break;
  }
  case 'python': {
    // CPython loaded after the Go runtime started: calls and callbacks both ways, and faults.
    const py = new MetaFFIRuntime('python3').loadModule(process.env.METAFFI_TEST_PY!);
    const makeMul = py.loadEntity('callable=make_mul', [T.metaffi_int64_type], [T.metaffi_callable_type]);
    const callWith = py.loadEntity('callable=call_with', [T.metaffi_callable_type, T.metaffi_any_type], [T.metaffi_any_type]);
    const apply = guest.loadEntity('callable=Apply', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
    const adder = guest.loadEntity('callable=Adder', [T.metaffi_int64_type], [T.metaffi_callable_type]);
    console.log('go->py', apply(makeMul(4), 5));
    console.log('py->go', callWith(adder(1), 41));
    console.log('go', goPanic());
    console.log('wasm', wasmOutOfBounds());
    break;
  }
  case 'release-later': {
    // Goroutines that call a JS callback after the go runtime was released: reported, and
    // the process goes on.
    const rt = new MetaFFIRuntime('go');
    const later = rt.loadModule(process.env.METAFFI_TEST_GUEST!).loadEntity('callable=Later',
      [T.metaffi_callable_type, T.metaffi_string8_type, T.metaffi_int64_type], null);
    let calls = 0;
    later(() => { calls++; }, 'x', 3);
    rt.releaseRuntimePlugin();
    setTimeout(() => console.log('alive', calls), 200);
    break;
  }
  default:
    console.log('unknown scenario', scenario);
    process.exit(2);
}
