/**
 * The environment of a test run under METAFFI_SANITIZE=address (see CONTRIBUTING.md,
 * "Sanitizers"). The native parts are then built with AddressSanitizer and
 * UndefinedBehaviorSanitizer, but node is not: the ASan runtime must be the first library of
 * the process, so it is preloaded, and every process of the run (the runner, each test file,
 * the node children tests spawn) inherits that from the environment computed here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Whether this run asks for the sanitizers. */
export function sanitizing(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.METAFFI_SANITIZE === 'address';
}

/** How much freed memory ASan holds back before reusing it (its quarantine, which is how it
 * catches a use after free): the default, set explicitly so the RSS tests can count on it. */
export const ASAN_QUARANTINE_MIB = 256;

/**
 * What a test measuring RSS adds to its allowance: nothing normally; under the sanitizer the
 * quarantine filling up (freed blocks are not reused until it is full) and its shadow memory
 * (one byte per eight). Those tests still run: they then check that a long loop of calls
 * shows no memory error, and leaks beyond the quarantine; the leaks the plain allowances are
 * tuned for are caught by the run without the sanitizer.
 */
export function sanitizerRssSlackMiB(env: NodeJS.ProcessEnv = process.env): number {
  // the quarantine, its shadow, and 32 MiB for ASan's bookkeeping (the stack traces of
  // allocations and frees it keeps for its reports, allocator metadata)
  return sanitizing(env) ? (ASAN_QUARANTINE_MIB * 9) / 8 + 32 : 0;
}

/**
 * How many times more stack native code takes: 1 normally, 2 under the sanitizer, where every
 * local whose address is taken gets a slot of its own between redzones (the compiler no
 * longer lets locals of different scopes share a slot): the frames of the conversion and call
 * paths measure about twice their size. Tests of how deep calls can nest on a given stack
 * scale their stack or their depth by it, and still check both sides of the limit.
 */
export function sanitizerStackFactor(env: NodeJS.ProcessEnv = process.env): number {
  return sanitizing(env) ? 2 : 1;
}

/** Whether the ASan runtime is already preloaded in a process started with `env`. */
export function sanitizerPreloaded(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.LD_PRELOAD ?? '').split(/[\s:]+/).some((lib) => /\blibasan\.so/.test(lib));
}

function runtimeLibrary(cc: string, name: string): string {
  let path: string;
  try {
    path = execFileSync(cc, [`-print-file-name=${name}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    throw new Error(`METAFFI_SANITIZE=address: cannot ask the C compiler '${cc}' where ${name} is: ${(e as Error).message}`);
  }
  // the compiler prints the bare name back when it does not have the library
  if (!path.startsWith('/') || !existsSync(path)) {
    throw new Error(`METAFFI_SANITIZE=address: the C compiler '${cc}' has no ${name} (install its sanitizer runtimes, e.g. libasan8 and libubsan1)`);
  }
  return path;
}

/**
 * `env` plus what a sanitized run needs: LD_PRELOAD with the ASan runtime of the compiler
 * that built the native parts, ASAN_OPTIONS and UBSAN_OPTIONS. Without
 * METAFFI_SANITIZE=address, or when the runtime is already preloaded (a child of a sanitized
 * run), `env` is returned as it is. With `reportDir`, ASan's reports are written there (one
 * file per process) instead of to stderr: a report from a child process whose failure a test
 * expected is found there too.
 */
export function sanitizerEnv(env: NodeJS.ProcessEnv = process.env, reportDir?: string): NodeJS.ProcessEnv {
  if (!sanitizing(env) || sanitizerPreloaded(env)) return env;
  const cc = env.CC ?? 'cc';
  // ASan refuses to start when another library came before it. libubsan needs no preload:
  // the native parts bring it in as a dependency, and it intercepts nothing.
  const preload = [runtimeLibrary(cc, 'libasan.so')];
  const asan = [
    // node, CPython and the JVM keep memory at exit on purpose: exit-time leak reports
    // would be all theirs (leaks of ours show in the RSS tests, which still run)
    'detect_leaks=0',
    // the JVM turns SIGSEGV into NullPointerException and uses it for stack banging, Go
    // into panics, V8 for WebAssembly bounds: these faults are expected, so ASan must
    // neither report them nor stand between the runtimes and their own handlers
    'handle_segv=0', 'allow_user_segv_handler=1',
    // the same for SIGBUS (the JVM: access to a truncated mapped file) and SIGFPE (the JVM
    // throws ArithmeticException for an integer division by zero from the trap)
    'handle_sigbus=0', 'handle_sigfpe=0',
    // tests allocate impossible sizes (2^32-1 elements) and expect a RangeError: malloc
    // must return NULL as it does without ASan, not end the process
    'allocator_may_return_null=1',
    `quarantine_size_mb=${ASAN_QUARANTINE_MIB}`,
    // also catch the use of a function's locals after it returned (off by default)
    'detect_stack_use_after_return=1',
    // a report is a failed test: end the process with a distinct status, never continue
    'halt_on_error=1', 'exitcode=86',
  ];
  const ubsan = ['print_stacktrace=1', 'halt_on_error=1'];
  // ASan's reports go to a file per process in reportDir. UBSan (a runtime of its own) prints
  // its reports on the process's stderr whatever log_path says, and halt_on_error ends the
  // process: they show in the output of the test that ran it.
  if (reportDir) asan.push(`log_path=${reportDir}/asan`);
  return {
    ...env,
    LD_PRELOAD: [...preload, ...(env.LD_PRELOAD ? [env.LD_PRELOAD] : [])].join(':'),
    ASAN_OPTIONS: [...asan, ...(env.ASAN_OPTIONS ? [env.ASAN_OPTIONS] : [])].join(':'),
    UBSAN_OPTIONS: [...ubsan, ...(env.UBSAN_OPTIONS ? [env.UBSAN_OPTIONS] : [])].join(':'),
  };
}
