/** The result table: per runtime, ns per call of each implementation and the ratios. */
import { ASYNC_SCENARIOS, PARALLEL, RUNTIMES, SCENARIOS, SLEEP_MS, TARGET_P99_MS, type CellResult, type ImplResult,
  type LatencyResult, type LoopDelay, type Measurement, type RuntimeName } from './common.js';

export interface Report {
  date: string;
  machine: string;
  node: string;
  mode: string;
  results: ImplResult[];
  /** The event loop during a long Python call, async and sync (absent when not run). */
  latency?: LatencyResult;
}

/** Target of the throughput scenario: PARALLEL concurrent async calls over the same calls made
 * one after the other. */
export const TARGET_THROUGHPUT = 3.5;

const isMeasured = (c: CellResult | undefined): c is Measurement => !!c && 'median' in c;

export function formatNs(ns: number): string {
  if (ns < 1000) return `${ns.toFixed(ns < 100 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

function ratio(x: number): string {
  return x >= 100 ? `${x.toFixed(0)}x` : x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`;
}

interface Table {
  title: string;
  /** A paragraph printed before the table. */
  intro?: string;
  header: string[];
  rows: string[][];
  notes: string[];
}

/** Footnote marks: the same text gets the same mark within a table. */
function marker(notes: string[]): (text: string) => string {
  const marks = new Map<string, string>();
  return (text) => {
    let m = marks.get(text);
    if (!m) {
      m = `[${marks.size + 1}]`;
      marks.set(text, m);
      notes.push(`${m} ${text}`);
    }
    return m;
  };
}

function describe(r: ImplResult | undefined, id: string, mark: (t: string) => string, withMin = false): string {
  if (!r) return '-';
  if (r.unavailable) return `n/a ${mark(`${r.name}: unavailable: ${r.unavailable}`)}`;
  const c = r.cells[id];
  if (!c) return '-';
  if ('unavailable' in c) return `n/a ${mark(`${r.name}: unavailable: ${c.unavailable}`)}`;
  if ('error' in c) return `error ${mark(`${r.name}, ${id}: ${c.error}`)}`;
  return withMin ? `${formatNs(c.median)} (${formatNs(c.min)})` : formatNs(c.median);
}

/** Build one runtime's table. Columns: scenario, limit, metaffi, metaffi/limit, budget,
 * then per peer its time and peer/metaffi (how many times faster metaffi is). */
function table(runtime: RuntimeName, results: ImplResult[]): Table {
  const limit = results.find((r) => r.kind === 'limit');
  const ours = results.find((r) => r.kind === 'metaffi');
  const peers = results.filter((r) => r.kind === 'peer');
  const header = ['scenario', 'limit (min)', 'metaffi (min)', 'metaffi / limit', 'budget'];
  for (const p of peers) header.push(p.name, `${p.name} / metaffi`);
  const notes: string[] = [];
  const mark = marker(notes);
  const cellText = (r: ImplResult | undefined, id: string, withMin = false): string => describe(r, id, mark, withMin);
  const rows: string[][] = [];
  for (const s of SCENARIOS) {
    if (s.asyncOnly) continue;
    const present = results.some((r) => r.cells[s.id] !== undefined) ||
      (results.some((r) => r.unavailable) && ['void', 'int64', 'string'].includes(s.id));
    if (!present) continue;
    const l = limit?.cells[s.id];
    const m = ours?.cells[s.id];
    const row = [s.label, cellText(limit, s.id, true), cellText(ours, s.id, true)];
    if (isMeasured(l) && isMeasured(m)) {
      const x = m.median / l.median;
      row.push(ratio(x));
      row.push(s.budget ? `${s.budget}x ${x <= s.budget ? 'ok' : 'OVER'}` : '');
    } else {
      row.push('', s.budget ? `${s.budget}x` : '');
    }
    for (const p of peers) {
      const c = p.cells[s.id];
      row.push(cellText(p, s.id));
      row.push(isMeasured(c) && isMeasured(m) ? ratio(c.median / m.median) : '');
    }
    rows.push(row);
  }
  if (rows.length === 0 && results.every((r) => r.unavailable)) {
    for (const r of results) notes.push(`${r.name}: unavailable: ${r.unavailable}`);
  }
  for (const r of results) if (r.info) notes.push(`${r.name}: ${r.info}`);
  return { title: runtime, header, rows, notes };
}

const ASYNC_INTRO =
  'Async calls: metaffi\'s `f.async(...)` and the peers\' async calls, on the same functions. One call awaited at a ' +
  `time (void, int64), ${SCENARIOS.find((s) => s.id.endsWith('-64'))?.label.split(', ')[1] ?? 'many in flight'} ` +
  `(started together, then awaited together; time per call), and ${PARALLEL} sleeps of ${SLEEP_MS} ms at a time ` +
  '(time per call; the synchronous column makes the same calls one after the other). "metaffi async / sync" is the ' +
  'async time over the synchronous call\'s; "<peer> / metaffi-async" is the peer\'s time over ours (above 1x: ' +
  'metaffi is that many times faster).';

/** One runtime's async table: metaffi's synchronous time for reference, metaffi's async time,
 * their ratio, then per async peer its time and its ratio to metaffi's async time. */
function asyncTable(runtime: RuntimeName, results: ImplResult[]): Table | null {
  const ours = results.find((r) => r.kind === 'metaffi-async');
  const peers = results.filter((r) => r.kind === 'peer-async');
  if (!ours && peers.length === 0) return null;
  const sync = results.find((r) => r.kind === 'metaffi');
  const header = ['scenario', 'metaffi (sync)', 'metaffi-async (min)', 'metaffi async / sync'];
  for (const p of peers) header.push(p.name, `${p.name} / metaffi-async`);
  const notes: string[] = [];
  const mark = marker(notes);
  const rows: string[][] = [];
  for (const s of ASYNC_SCENARIOS) {
    if (![ours, ...peers].some((r) => r && (r.unavailable || r.cells[s.id] !== undefined))) continue;
    const a = ours?.cells[s.id];
    const y = s.sync ? sync?.cells[s.sync] : undefined;
    const row = [s.label, s.sync ? describe(sync, s.sync, mark) : '-', describe(ours, s.id, mark, true)];
    row.push(isMeasured(a) && isMeasured(y) ? ratio(a.median / y.median) : '');
    for (const p of peers) {
      const c = p.cells[s.id];
      row.push(describe(p, s.id, mark), isMeasured(c) && isMeasured(a) ? ratio(c.median / a.median) : '');
    }
    rows.push(row);
  }
  for (const r of [ours, ...peers]) if (r?.info) notes.push(`${r.name}: ${r.info}`);
  return { title: `${runtime}: async calls`, header, rows, notes };
}

const perSecond = (ns: number): string => `${Math.round(1e9 / ns).toLocaleString('en-US')}/s`;

/** Calls per second of the sleep scenario, async over sync, per runtime. */
function throughputTable(rep: Report): Table | null {
  const id = `sleep-${PARALLEL}`;
  const rows: string[][] = [];
  const notes: string[] = [];
  const mark = marker(notes);
  for (const rt of RUNTIMES) {
    const sync = rep.results.find((r) => r.runtime === rt && r.kind === 'metaffi');
    const ours = rep.results.find((r) => r.runtime === rt && r.kind === 'metaffi-async');
    if (!ours || (!ours.unavailable && !ours.cells[id])) continue;
    const y = sync?.cells[id];
    const a = ours.cells[id];
    const x = isMeasured(a) && isMeasured(y) ? y.median / a.median : null;
    rows.push([rt, isMeasured(y) ? perSecond(y.median) : describe(sync, id, mark), isMeasured(a) ? perSecond(a.median) : describe(ours, id, mark),
      x === null ? '' : ratio(x), `${TARGET_THROUGHPUT}x${x === null ? '' : x >= TARGET_THROUGHPUT ? ' ok' : ' LOW'}`]);
  }
  if (rows.length === 0) return null;
  return {
    title: 'async throughput',
    intro: `Throughput: ${PARALLEL} calls of a ${SLEEP_MS} ms sleep at a time with \`.async\` (Python \`time.sleep\`, Java ` +
      `\`Thread.sleep\`, Go \`time.Sleep\`), round after round, against the same calls made synchronously one after ` +
      'the other; calls per second and their ratio.',
    header: ['runtime', 'sync calls', 'async calls', 'async / sync', 'target'],
    rows,
    notes,
  };
}

function latencyTable(l: LatencyResult): Table {
  const intro = `Event loop: how late its timers ran (\`perf_hooks.monitorEventLoopDelay\`, ` +
    `${'error' in l ? 1 : l.resolutionMs} ms timer; ms beyond the timer's interval) while a ${'error' in l ? 2000 : l.callMs} ms ` +
    'Python call (`time.sleep`) ran with `.async`, and with the synchronous call for contrast; "no call" is the same ' +
    'span with nothing running, what the machine\'s loop shows anyway.';
  const header = ['during', 'p50', 'p99', 'max', 'timer runs', 'call took', 'target'];
  if ('error' in l) return { title: 'event loop during a long call', intro, header, rows: [], notes: [l.error] };
  const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
  const row = (what: string, d: LoopDelay, target: string) =>
    [what, ms(d.p50), ms(d.p99), ms(d.max), String(d.samples), ms(d.wallMs), target];
  return {
    title: 'event loop during a long call',
    intro,
    header,
    rows: [
      row('no call', l.idle, ''),
      row('`.async` call', l.async, `p99 < ${TARGET_P99_MS} ms ${l.async.p99 < TARGET_P99_MS ? 'ok' : 'OVER'}`),
      row('sync call', l.sync, ''),
    ],
    notes: [],
  };
}

function tables(rep: Report): Table[] {
  const out: Table[] = [];
  for (const rt of RUNTIMES) {
    const rs = rep.results.filter((r) => r.runtime === rt && (r.kind === 'limit' || r.kind === 'metaffi' || r.kind === 'peer'));
    if (rs.length) out.push(table(rt, rs));
  }
  let first = true;
  for (const rt of RUNTIMES) {
    const t = asyncTable(rt, rep.results.filter((r) => r.runtime === rt));
    if (!t) continue;
    if (first) t.intro = ASYNC_INTRO;
    first = false;
    out.push(t);
  }
  const tp = throughputTable(rep);
  if (tp) out.push(tp);
  if (rep.latency) out.push(latencyTable(rep.latency));
  return out;
}

const INTRO = (rep: Report) =>
  `metaffi benchmark, ${rep.date}: ${rep.machine}, Node ${rep.node}, ${rep.mode}. ` +
  'Median time per call over the rounds (the fastest round in parentheses); "metaffi / limit" is our median over the limit addon\'s ' +
  '(1x = as fast as a hand-written addon); "<peer> / metaffi" is the peer\'s time over ours ' +
  '(above 1x: metaffi is that many times faster).';

export function toText(rep: Report): string {
  const lines: string[] = [INTRO(rep), ''];
  for (const t of tables(rep)) {
    if (t.intro) lines.push(t.intro, '');
    lines.push(`== ${t.title}`);
    const all = [t.header, ...t.rows];
    const widths = t.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
    const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    lines.push(fmt(t.header));
    lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of t.rows) lines.push(fmt(r));
    for (const n of t.notes) lines.push(`  ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function toMarkdown(rep: Report): string {
  const lines: string[] = [INTRO(rep), ''];
  for (const t of tables(rep)) {
    lines.push(`#### ${t.title}`, '');
    if (t.intro) lines.push(t.intro, '');
    lines.push(`| ${t.header.join(' | ')} |`);
    lines.push(`|${t.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
    if (t.notes.length) {
      for (const n of t.notes) lines.push(`- ${n}`);
      lines.push('');
    }
  }
  return lines.join('\n');
}
