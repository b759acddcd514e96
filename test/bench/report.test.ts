import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toMarkdown, toText, type Report } from '../../bench/report.js';

const m = (median: number) => ({ median, min: median, max: median, rounds: 3, callsPerRound: 1000 });
const delay = (p99: number, max: number) => ({ p50: 0.08, p99, max, samples: 1800, wallMs: 2000 });

const report: Report = {
  date: '2026-12-04T20:00:00Z',
  machine: '2 x Test CPU',
  node: '20.0.0',
  mode: 'quick',
  results: [
    { runtime: 'openjdk', name: 'limit', kind: 'limit', cells: { void: m(40) } },
    { runtime: 'openjdk', name: 'metaffi', kind: 'metaffi', cells: { void: m(50), int64: m(100), 'sleep-4': m(1.02e7) } },
    { runtime: 'openjdk', name: 'java', kind: 'peer', cells: { void: m(2000) } },
    {
      runtime: 'openjdk', name: 'metaffi-async', kind: 'metaffi-async',
      cells: { void: m(10000), int64: m(12000), 'void-64': m(5000), 'int64-64': m(6000), 'sleep-4': m(2.55e6) },
    },
    {
      runtime: 'openjdk', name: 'java-async', kind: 'peer-async',
      cells: { void: m(20000), int64: { unavailable: 'no longs' }, 'void-64': m(4000), 'int64-64': { error: 'boom' }, 'sleep-4': m(2.6e6) },
    },
    { runtime: 'go', name: 'metaffi', kind: 'metaffi', cells: { void: m(80), 'sleep-4': m(1.0e7) } },
    { runtime: 'go', name: 'metaffi-async', kind: 'metaffi-async', cells: { void: m(9000), 'sleep-4': m(5e6) } },
  ],
  latency: { callMs: 2000, resolutionMs: 1, idle: delay(1.5, 9), async: delay(6.25, 12), sync: delay(2001, 2001) },
};

/** The rows of the Markdown table under `#### title`, as arrays of cells. */
function mdTable(md: string, title: string): string[][] {
  const lines = md.split('\n');
  const at = lines.indexOf(`#### ${title}`);
  assert.ok(at >= 0, `no table ${title}`);
  const rows: string[][] = [];
  for (let i = at + 1; i < lines.length && !lines[i]!.startsWith('#### '); i++) {
    const l = lines[i]!;
    if (l.startsWith('| ')) rows.push(l.slice(2, -2).split(' | '));
  }
  return rows;
}

describe('bench report: the async tables', () => {
  const md = toMarkdown(report);

  it('keeps the async implementations and scenarios out of the synchronous table', () => {
    const rows = mdTable(md, 'openjdk');
    assert.deepEqual(rows[0], ['scenario', 'limit (min)', 'metaffi (min)', 'metaffi / limit', 'budget', 'java', 'java / metaffi']);
    assert.deepEqual(rows.slice(1).map((r) => r[0]), ['void call', 'int64 echo']);
    assert.ok(!md.split('#### openjdk: async calls')[0]!.includes('10 ms sleep'));
  });

  it('shows metaffi async beside its synchronous time, and each async peer with its ratio to it', () => {
    const rows = mdTable(md, 'openjdk: async calls');
    assert.deepEqual(rows[0], ['scenario', 'metaffi (sync)', 'metaffi-async (min)', 'metaffi async / sync', 'java-async', 'java-async / metaffi-async']);
    const byName = new Map(rows.slice(1).map((r) => [r[0], r.slice(1)]));
    assert.deepEqual(byName.get('void call'), ['50.0 ns', '10.0 µs (10.0 µs)', '200x', '20.0 µs', '2.00x']);
    assert.deepEqual(byName.get('void call, 64 in flight'), ['50.0 ns', '5.00 µs (5.00 µs)', '100x', '4.00 µs', '0.80x']);
    assert.match(byName.get('int64 echo')![3]!, /^n\/a \[\d\]$/);
    assert.match(byName.get('int64 echo, 64 in flight')![3]!, /^error \[\d\]$/);
    assert.deepEqual(byName.get('10 ms sleep, 4 at a time')!.slice(0, 3), ['10.20 ms', '2.55 ms (2.55 ms)', '0.25x']);
    assert.match(md, /java-async: unavailable: no longs/);
    assert.match(md, /java-async, int64-64: boom/);
  });

  it('gives the throughput as calls per second, async over sync, against the 3.5x target', () => {
    const rows = mdTable(md, 'async throughput');
    assert.deepEqual(rows[0], ['runtime', 'sync calls', 'async calls', 'async / sync', 'target']);
    assert.deepEqual(rows.slice(1), [
      ['openjdk', '98/s', '392/s', '4.00x', '3.5x ok'],
      ['go', '100/s', '200/s', '2.00x', '3.5x LOW'],
    ]);
  });

  it('gives the event loop delay with no call, an async call and a sync call, against the 5 ms target', () => {
    const rows = mdTable(md, 'event loop during a long call');
    assert.deepEqual(rows.slice(1).map((r) => [r[0], r[2], r[3], r[6]]), [
      ['no call', '1.50 ms', '9.00 ms', ''],
      ['`.async` call', '6.25 ms', '12 ms', 'p99 < 5 ms OVER'],
      ['sync call', '2001 ms', '2001 ms', ''],
    ]);
  });

  it('prints the same tables as text', () => {
    const text = toText(report);
    for (const title of ['openjdk', 'go', 'openjdk: async calls', 'go: async calls', 'async throughput', 'event loop during a long call']) {
      assert.ok(text.includes(`== ${title}\n`), title);
    }
    assert.equal(toText({ ...report, latency: { error: 'no python' } }).includes('no python'), true);
  });
});
