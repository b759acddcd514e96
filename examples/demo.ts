/**
 * The main demo: TypeScript calling Python in-process, through the dynamic API.
 * Run it with `npm start`.
 */
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

// --- Python -----------------------------------------------------------------------------
const python = new MetaFFIRuntime('python3');
const calc = python.loadModule(join(here, 'python', 'calc.py'));
const multiply = calc.loadEntity('callable=multiply',
  [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_float64_type]);
console.log('python  calc.multiply(3, 4)          =', multiply(3, 4));

const statistics = python.loadModule('statistics'); // the standard library works too
const mean = statistics.loadEntity('callable=mean', [T.metaffi_float64_array_type], [T.metaffi_float64_type]);
console.log('python  statistics.mean([1, 2, 3, 4]) =', mean([1, 2, 3, 4]));

const Counter = calc.loadEntity('callable=Counter', [T.metaffi_int64_type], [T.metaffi_handle_type]);
const add = calc.loadEntity('callable=Counter.add,instance_required', [T.metaffi_handle_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
const counter = Counter(10);
add(counter, 5);
console.log('python  Counter(10).add(5).add(2)     =', add(counter, 2));

const applyTwice = calc.loadEntity('callable=apply_twice', [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
console.log('python  apply_twice(x => x * 3, 7)    =', applyTwice((x: number) => x * 3, 7));

const divide = calc.loadEntity('callable=divide', [T.metaffi_float64_type, T.metaffi_float64_type], [T.metaffi_float64_type]);
try {
  divide(1, 0);
} catch (e) {
  console.log('python  divide(1, 0) threw           ', (e as MetaFFIError).message);
}

// --- Go -----------------------------------------------------------------------------------
// examples/go/hello.go compiled into a guest library by the metaffi command (npm install
// builds it; here it is built if it is missing).
const helloGuest = join(here, 'go', 'hello_MetaFFIGuest');
if (!existsSync(helloGuest + '.so')) {
  execFileSync(process.execPath, [join(here, '..', 'dist', 'cli', 'main.js'), '-c', '--idl', join(here, 'go', 'hello.go'),
    '-g', 'go', '-o', join(here, 'go')], { stdio: 'inherit' });
}
const go = new MetaFFIRuntime('go');
const hello = go.loadModule(helloGuest);
const sayHello = hello.loadEntity('callable=SayHello', [T.metaffi_string8_type], [T.metaffi_string8_type]);
console.log('go      hello.SayHello("TypeScript")  =', sayHello('TypeScript'));
