/**
 * One implementation of one runtime's scenarios, in its own process (a process holds one
 * JVM, one set of Go runtimes, one embedding of CPython). Driven by run.ts over the IPC
 * channel, so that the implementations of a runtime run their rounds in turn, interleaved:
 * whatever else the machine does at a moment slows all of them alike.
 *
 * Messages in: {op:'ready', id} (check, warm up, size the rounds), {op:'round', id} (one
 * timed round), {op:'close'}. Messages out: {op:'prepared', info, cells} first, then one
 * reply per request.
 *
 * Started by run.ts: node --expose-gc .build/bench/child.js <runtime> <impl> <setup.json>
 */
import { readFileSync } from 'node:fs';
import type { CellOrReason, Prepared, SetupInfo } from './common.js';
import { FULL, QUICK, ready, sink, type ReadyCell } from './harness.js';
import { IMPLS } from './impls/index.js';

export type ToChild = { op: 'ready'; id: string } | { op: 'round'; id: string } | { op: 'close' };
export type FromChild =
  | { op: 'prepared'; info: string; cells: Record<string, 'ok' | { unavailable: string }> }
  | { op: 'unavailable'; reason: string }
  | { op: 'readied'; id: string; callsPerRound: number }
  | { op: 'round'; id: string; ns: number }
  | { op: 'failed'; id: string; error: string };

export function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').map((l) => l.trim()).filter((l) => l !== '')[0] ?? 'unknown error';
}

function send(m: FromChild, then?: () => void): void {
  process.send!(m, undefined, undefined, then);
}

async function main(): Promise<void> {
  const [runtime, name, setupFile] = process.argv.slice(2);
  const setup = JSON.parse(readFileSync(setupFile!, 'utf8')) as SetupInfo;
  const impl = IMPLS.find((i) => i.runtime === runtime && i.name === name);
  if (!impl) throw new Error(`no implementation ${name} for ${runtime}`);
  let prepared: Prepared;
  try {
    prepared = await impl.prepare(setup);
  } catch (e) {
    send({ op: 'unavailable', reason: reason(e) }, () => process.exit(0));
    return;
  }
  const cells: Record<string, 'ok' | { unavailable: string }> = {};
  for (const [id, c] of Object.entries(prepared.cells) as [string, CellOrReason][]) {
    cells[id] = 'unavailable' in c ? { unavailable: c.unavailable } : 'ok';
  }
  const opts = setup.harness ?? (setup.quick ? QUICK : FULL);
  let current: { id: string; cell: ReadyCell } | null = null;
  let queue = Promise.resolve();
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: ToChild) => {
    queue = queue.then(async () => {
      if (m.op === 'close') {
        process.stderr.write(`sink ${sink}\n`);
        try {
          await prepared.close?.();
        } catch {
          // closing a peer is best effort
        }
        process.exit(0);
      }
      const c = prepared.cells[m.id];
      try {
        if (!c || 'unavailable' in c) throw new Error(`no cell ${m.id}`);
        if (m.op === 'ready') {
          current = { id: m.id, cell: await ready(c, opts) };
          send({ op: 'readied', id: m.id, callsPerRound: current.cell.callsPerRound });
        } else {
          if (!current || current.id !== m.id) throw new Error(`cell ${m.id} is not ready`);
          send({ op: 'round', id: m.id, ns: await current.cell.round() });
        }
      } catch (e) {
        send({ op: 'failed', id: m.id, error: reason(e) });
      }
    });
  });
  send({ op: 'prepared', info: prepared.info, cells });
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
