/** The result table: per runtime, ns per call of each implementation and the ratios. */
import { SCENARIOS, type CellResult, type ImplResult, type Measurement, type RuntimeName } from './common.js';

export interface Report {
  date: string;
  machine: string;
  node: string;
  mode: string;
  results: ImplResult[];
}

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
  runtime: RuntimeName;
  header: string[];
  rows: string[][];
  notes: string[];
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
  const marks = new Map<string, string>();
  const mark = (text: string): string => {
    let m = marks.get(text);
    if (!m) {
      m = `[${marks.size + 1}]`;
      marks.set(text, m);
      notes.push(`${m} ${text}`);
    }
    return m;
  };
  const cellText = (r: ImplResult | undefined, id: string, withMin = false): string => {
    if (!r) return '-';
    if (r.unavailable) return `n/a ${mark(`${r.name}: unavailable: ${r.unavailable}`)}`;
    const c = r.cells[id];
    if (!c) return '-';
    if ('unavailable' in c) return `n/a ${mark(`${r.name}: unavailable: ${c.unavailable}`)}`;
    if ('error' in c) return `error ${mark(`${r.name}, ${id}: ${c.error}`)}`;
    return withMin ? `${formatNs(c.median)} (${formatNs(c.min)})` : formatNs(c.median);
  };
  const rows: string[][] = [];
  for (const s of SCENARIOS) {
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
  return { runtime, header, rows, notes };
}

function tables(rep: Report): Table[] {
  const out: Table[] = [];
  for (const rt of ['python3', 'openjdk', 'go'] as const) {
    const rs = rep.results.filter((r) => r.runtime === rt);
    if (rs.length) out.push(table(rt, rs));
  }
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
    lines.push(`== ${t.runtime}`);
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
    lines.push(`#### ${t.runtime}`, '');
    lines.push(`| ${t.header.join(' | ')} |`);
    lines.push(`|${t.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
    for (const n of t.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}
