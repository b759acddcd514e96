/**
 * The main demo: TypeScript calling Python, Java and Go in-process, through the dynamic API,
 * and a Python function called by Java.
 * Run it with `npm start`.
 */
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIError } from 'metaffi';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log4jJars } from './java/log4j.js';

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

// --- Java -------------------------------------------------------------------------------
const jvm = new MetaFFIRuntime('openjdk');
const jdk = jvm.loadModule('java.base'); // JDK classes need no jar
const max = jdk.loadEntity('class=java.lang.Math,callable=max', [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type]);
console.log('java    Math.max(3, 9)               =', max(3, 9));

const range = jdk.loadEntity('class=java.util.stream.IntStream,callable=rangeClosed',
  [T.metaffi_int32_type, T.metaffi_int32_type], [T.metaffi_handle_type]);
const reduce = jdk.loadEntity('class=java.util.stream.IntStream,callable=reduce,instance_required',
  [T.metaffi_handle_type, T.metaffi_int32_type, T.metaffi_callable_type], [T.metaffi_int32_type]);
console.log('java    IntStream 1..5 reduce(*)     =', reduce(range(1, 5), 1, (a: number, b: number) => a * b));

const parseInt = jdk.loadEntity('class=java.lang.Integer,callable=parseInt', [T.metaffi_string8_type], [T.metaffi_int32_type]);
try {
  parseInt('12x');
} catch (e) {
  console.log('java    Integer.parseInt("12x") threw', (e as MetaFFIError).message);
}

// log4j 2.21.1, fetched with Maven on the first run (examples/java/log4j.ts)
const log4j = jvm.loadModule(log4jJars());
const getLogger = log4j.loadEntity('class=org.apache.logging.log4j.LogManager,callable=getLogger',
  [T.metaffi_string8_type], [T.metaffi_handle_type]);
const logError = log4j.loadEntity('class=org.apache.logging.log4j.Logger,callable=error,instance_required',
  [T.metaffi_handle_type, T.metaffi_string8_type], null);
const logger = getLogger('metaffi.demo');
console.log('java    log4j LogManager.getLogger    =', String(logger));
logError(logger, 'an error logged by log4j, called from TypeScript');

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

// --- Across runtimes --------------------------------------------------------------------
// A Python function handed to Java: Java's IntStream calls Python directly, through the
// common data types, without coming back to JS.
const operator = python.loadModule('operator');
const pythonMul = operator.loadEntity('attribute=mul,getter', null, [T.metaffi_callable_type])();
console.log('java    IntStream 1..5 reduce(python operator.mul) =', reduce(range(1, 5), 1, pythonMul));
