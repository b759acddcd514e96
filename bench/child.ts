/**
 * One implementation of one runtime's scenarios, in its own process (a process holds one
 * JVM, one set of Go runtimes, one embedding of CPython): prepares it, measures each cell,
 * writes the results as JSON.
 *
 * Usage (from run.ts): node --expose-gc .build/bench/child.js <runtime> <impl> <setup.json> <out.json> [scenario,...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SCENARIOS, type CellResult, type ImplResult, type SetupInfo } from './common.js';
import { FULL, QUICK, measure, sink } from './harness.js';
import { IMPLS } from './impls/index.js';

function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').filter((l) => l.trim() !== '')[0] ?? 'unknown error';
}

async function main(): Promise<void> {
  const [runtime, name, setupFile, outFile, only] = process.argv.slice(2);
  const setup = JSON.parse(readFileSync(setupFile!, 'utf8')) as SetupInfo;
  const impl = IMPLS.find((i) => i.runtime === runtime && i.name === name);
  if (!impl) throw new Error(`no implementation ${name} for ${runtime}`);
  const result: ImplResult = { runtime: impl.runtime, name: impl.name, kind: impl.kind, cells: {} };
  const write = () => writeFileSync(outFile!, JSON.stringify(result, null, 1));
  let prepared;
  try {
    prepared = await impl.prepare(setup);
  } catch (e) {
    result.unavailable = reason(e);
    write();
    return;
  }
  result.info = prepared.info;
  const wanted = only ? new Set(only.split(',')) : null;
  const opts = setup.quick ? QUICK : FULL;
  for (const s of SCENARIOS) {
    if (wanted && !wanted.has(s.id)) continue;
    const cell = prepared.cells[s.id];
    if (!cell) continue;
    let r: CellResult;
    if ('unavailable' in cell) {
      r = { unavailable: cell.unavailable };
    } else {
      try {
        r = await measure(cell, opts);
      } catch (e) {
        r = { error: reason(e) };
      }
    }
    result.cells[s.id] = r;
    process.stderr.write(`${runtime}/${name} ${s.id}: ${JSON.stringify(r)}\n`);
    write(); // what was measured survives a crash in a later cell
  }
  process.stderr.write(`sink ${sink}\n`);
  try {
    await prepared.close?.();
  } catch {
    // closing a peer is best effort; the numbers are written
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
