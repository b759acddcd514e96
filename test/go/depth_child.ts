/**
 * Child process of hardening.test.ts: nesting-depth cases against the Go guest (its path in
 * METAFFI_TEST_GUEST), one line printed per case. A crash shows as a signal or a non-zero
 * exit status in the parent.
 */
import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';

const guest = new MetaFFIRuntime('go').loadModule(process.env.METAFFI_TEST_GUEST!);
const A = T.metaffi_any_type;
const nest = guest.loadEntity('callable=Nest', [T.metaffi_int64_type], [A]);
const nestMap = guest.loadEntity('callable=NestMap', [T.metaffi_int64_type], [A]);
const selfRef = guest.loadEntity('callable=SelfRef', null, [A]);
const depth = guest.loadEntity('callable=Depth', [A], [T.metaffi_int64_type]);

function outcome(f: () => unknown): string {
  try {
    return `ok ${String(f())}`;
  } catch (e) {
    return `error ${(e as Error).constructor.name} ${(e as Error).message}`;
  }
}

function jsNest(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

function measure(v: unknown): number {
  let d = 0;
  while (Array.isArray(v)) {
    d++;
    v = v[0];
  }
  return d;
}

function measureMap(v: unknown): number {
  let d = 0;
  while (v !== null && typeof v === 'object') {
    d++;
    v = (v as Record<string, unknown>).k;
  }
  return d;
}

for (const n of [256, 257, 1000, 30000]) {
  console.log(`go-nest ${n} ${outcome(() => measure(nest(n)))}`);
  console.log(`go-map ${n} ${outcome(() => measureMap(nestMap(n)))}`);
}
console.log(`self ${outcome(() => selfRef())}`);
for (const n of [255, 256]) console.log(`js-in ${n} ${outcome(() => depth(jsNest(n)))}`);
console.log(`after ${outcome(() => measure(nest(3)))}`);
