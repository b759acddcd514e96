/**
 * RSS growth of one kind of call repeated in a synchronous loop (the event loop never turns
 * while it runs), in a process of its own: the memory test (test/core/memory.test.ts) runs
 * it with a reduced count, the benchmark (`npm run bench -- --memory`) with a million.
 *
 *   node .build/test/core/memory_child.js '{"runtime":"go","kind":"released","calls":1000000,"paths":{...}}'
 *
 * Prints one JSON line: { runtime, kind, calls, growthMiB }.
 */
import { MetaFFIRuntime, MetaFFITypes as T, MetaFFIHandle } from 'metaffi';

export const MEMORY_KINDS = ['string', 'array', 'dropped', 'released', 'callback', 'exception'] as const;
export type MemoryKind = typeof MEMORY_KINDS[number];
export interface MemoryJob {
  runtime: 'python3' | 'openjdk' | 'go';
  kind: MemoryKind;
  calls: number;
  /** python: test/fixtures/python/guest.py, java: the guest class folder, go: the fixture guest library */
  paths: { python: string; java: string; go: string };
}

type Fn = (...args: unknown[]) => unknown;
const S = T.metaffi_string8_type, F64 = T.metaffi_float64_type, I64 = T.metaffi_int64_type, H = T.metaffi_handle_type;
const C = T.metaffi_callable_type, A = T.metaffi_any_type;

/** One call of `kind` for `runtime`, as a function of the loop index. */
function round(job: MemoryJob): (i: number) => void {
  const rt = new MetaFFIRuntime(job.runtime);
  const values = Array.from({ length: 100 }, (_, i) => i);
  const fail = (f: Fn) => (i: number) => {
    try {
      f(i);
    } catch {
      return;
    }
    throw new Error('the call was expected to fail');
  };
  if (job.runtime === 'python3') {
    const m = rt.loadModule(job.paths.python);
    const concat = m.loadEntity('callable=concat', [S, S], [S]) as Fn;
    const sum = m.loadEntity('callable=sum_list', [T.metaffi_int64_array_type], [I64]) as Fn;
    const point = m.loadEntity('callable=Point', [F64, F64], [H]) as Fn;
    const callWith = m.loadEntity('callable=call_with', [C, A], [A]) as Fn;
    const raise = m.loadEntity('callable=raise_value_error', [S], []) as Fn;
    switch (job.kind) {
      case 'string': return (i) => { concat('abc', `d${i & 7}é`); };
      case 'array': return () => { sum(values); };
      case 'dropped': return (i) => { point(i, 1); };
      case 'released': return (i) => { (point(i, 1) as MetaFFIHandle).release(); };
      case 'callback': return (i) => { callWith((x: number) => x + i, 1); };
      case 'exception': return fail((i) => raise(`bad ${(i as number) & 7}`));
    }
  }
  if (job.runtime === 'openjdk') {
    const m = rt.loadModule(job.paths.java);
    const echo = m.loadEntity('class=guest.Guest,callable=echoString', [S], [S]) as Fn;
    const sum = m.loadEntity('class=guest.Guest,callable=sum', [T.metaffi_int64_array_type], [I64]) as Fn;
    const make = m.loadEntity('class=guest.Guest,callable=makeList', null, [H]) as Fn;
    const apply = m.loadEntity('class=guest.Guest,callable=applyFunction', [C, A], [A]) as Fn;
    const raise = m.loadEntity('class=guest.Guest,callable=fail', [S], []) as Fn;
    switch (job.kind) {
      case 'string': return (i) => { echo(`abc d${i & 7}é`); };
      case 'array': return () => { sum(values); };
      case 'dropped': return () => { make(); };
      case 'released': return () => { (make() as MetaFFIHandle).release(); };
      case 'callback': return (i) => { apply((x: number) => x + i, 1); };
      case 'exception': return fail((i) => raise(`bad ${(i as number) & 7}`));
    }
  }
  const m = rt.loadModule(job.paths.go);
  const echo = m.loadEntity('callable=EchoString', [S], [S]) as Fn;
  const sum = m.loadEntity('callable=SumInts', [T.metaffi_int64_array_type], [I64]) as Fn;
  const point = m.loadEntity('callable=NewPoint', [F64, F64], [H]) as Fn;
  const apply = m.loadEntity('callable=Apply', [C, I64], [I64]) as Fn;
  const divide = m.loadEntity('callable=Divide', [I64, I64], [I64]) as Fn;
  switch (job.kind) {
    case 'string': return (i) => { echo(`abc d${i & 7}é`); };
    case 'array': return () => { sum(values); };
    case 'dropped': return (i) => { point(i, 1); };
    case 'released': return (i) => { (point(i, 1) as MetaFFIHandle).release(); };
    case 'callback': return (i) => { apply((x: number) => x + i, 1); };
    case 'exception': return fail((i) => divide(i, 0));
  }
}

/** Run the job: a short warm-up (caches, JIT, the runtime's own start), then the loop. */
export async function measure(job: MemoryJob): Promise<number> {
  const f = round(job);
  const warm = Math.min(20_000, Math.ceil(job.calls / 10));
  for (let i = 0; i < warm; i++) f(i);
  await new Promise((r) => setTimeout(r, 20)); // let the warm-up's garbage go
  const before = process.memoryUsage.rss();
  for (let i = 0; i < job.calls; i++) f(i);
  const after = process.memoryUsage.rss();
  return (after - before) / 2 ** 20;
}

if (process.argv[1]?.endsWith('memory_child.js') && process.argv[2]) {
  const job = JSON.parse(process.argv[2]) as MemoryJob;
  const growthMiB = await measure(job);
  console.log(JSON.stringify({ runtime: job.runtime, kind: job.kind, calls: job.calls, growthMiB }));
  process.exit(0);
}
