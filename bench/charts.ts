/**
 * The benchmark's results as SVG charts, one per runtime: per scenario one bar per
 * implementation (the limit, metaffi's sync and async calls, each peer's), time per call
 * (median) on a log scale. The async implementations appear only in the scenarios they run
 * (those of the async table), and the scenarios only async calls have (64 in flight, the
 * sleeps) list only the implementations with a result there. Written as plain SVG text so the
 * output is self-contained and identical for the same report.
 *
 *   node .build/bench/charts.js <report.json> [outdir]      (default outdir: bench/build/charts)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASYNC_SCENARIOS, benchBuild, RUNTIMES, SCENARIOS, type CellResult, type ImplResult, type RuntimeName } from './common.js';
import { formatNs, type Report } from './report.js';

export const defaultChartsDir = join(benchBuild, 'charts');

/** Implementations appear in this order when present (each async variant after its synchronous
 * one); any other name follows, alphabetically. */
const PREFERRED = ['limit', 'metaffi', 'metaffi-async', 'node-calls-python', 'node-calls-python-async', 'pythonia', 'java',
  'java-async', 'java-bridge', 'koffi'];
const PALETTE = ['#7f7f7f', '#1f77b4', '#17becf', '#ff7f0e', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#bcbd22'];

const WIDTH = 860;
const LEFT = 16;
const RIGHT = 80; // room for the value label after the longest bar
const BAR = 11;
const BAR_GAP = 2;
const GROUP_HEAD = 17;
const GROUP_GAP = 8;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (x: number): string => (Math.round(x * 10) / 10).toString();

function orderNames(names: Iterable<string>): string[] {
  const rank = (n: string) => { const i = PREFERRED.indexOf(n); return i < 0 ? PREFERRED.length : i; };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** One colour per implementation name over the whole report, so a peer keeps its colour
 * from chart to chart. */
export function colours(rep: Report): Map<string, string> {
  const m = new Map<string, string>();
  orderNames(rep.results.map((r) => r.name)).forEach((n, i) => m.set(n, PALETTE[i % PALETTE.length]!));
  return m;
}

function decadeLabel(e: number): string {
  const units: [number, string][] = [[-9, 'ns'], [-6, 'µs'], [-3, 'ms'], [0, 's']];
  const exp = e - 9; // e is log10 of ns
  let u = units[0]!;
  for (const cand of units) if (exp >= cand[0]) u = cand;
  return `${10 ** (exp - u[0])} ${u[1]}`;
}

type Shown = { kind: 'bar'; ns: number } | { kind: 'na'; text: string; why: string };

function cellOf(r: ImplResult, id: string): Shown {
  if (r.unavailable) return { kind: 'na', text: 'n/a', why: r.unavailable };
  const c: CellResult | undefined = r.cells[id];
  if (!c) return { kind: 'na', text: 'n/a', why: 'not run' };
  if ('median' in c) return { kind: 'bar', ns: c.median };
  if ('error' in c) return { kind: 'na', text: 'error', why: c.error };
  return { kind: 'na', text: 'n/a', why: c.unavailable };
}

const asyncOnly = new Set(SCENARIOS.filter((s) => s.asyncOnly).map((s) => s.id));
const asyncRows = new Set(ASYNC_SCENARIOS.map((s) => s.id));

/** Whether a scenario's group lists an implementation: always when it has a result or a reason
 * there; otherwise a synchronous one in the synchronous scenarios, an async one nowhere, and an
 * implementation that could not run at all in the scenarios of its kind. */
function shown(r: ImplResult, id: string): boolean {
  if (r.cells[id] !== undefined) return true;
  const isAsync = r.kind === 'metaffi-async' || r.kind === 'peer-async';
  if (r.unavailable) return isAsync ? asyncRows.has(id) : !asyncOnly.has(id);
  return !isAsync && !asyncOnly.has(id);
}

function scenarioIds(results: ImplResult[]): { id: string; label: string }[] {
  const ids = new Set<string>();
  for (const r of results) for (const id of Object.keys(r.cells)) ids.add(id);
  const known = SCENARIOS.filter((s) => ids.has(s.id)).map((s) => ({ id: s.id, label: s.label }));
  const extra = [...ids].filter((id) => !SCENARIOS.some((s) => s.id === id)).sort().map((id) => ({ id, label: id }));
  return [...known, ...extra];
}

/** The chart of one runtime, or null when the report has nothing for it. */
export function runtimeChart(rep: Report, runtime: RuntimeName, palette = colours(rep)): string | null {
  const results = rep.results.filter((r) => r.runtime === runtime);
  if (results.length === 0) return null;
  const impls = orderNames(results.map((r) => r.name)).map((n) => results.find((r) => r.name === n)!);
  const scenarios = scenarioIds(results);
  const times: number[] = [];
  for (const s of scenarios) for (const r of impls) { const c = cellOf(r, s.id); if (c.kind === 'bar' && c.ns > 0) times.push(c.ns); }
  const lo = times.length ? Math.floor(Math.log10(Math.min(...times))) : 1;
  let hi = times.length ? Math.ceil(Math.log10(Math.max(...times))) : 4;
  if (hi <= lo) hi = lo + 1;
  const plotW = WIDTH - LEFT - RIGHT;
  const xOf = (ns: number) => LEFT + ((Math.log10(ns) - lo) / (hi - lo)) * plotW;

  const out: string[] = [];
  let y = 0;
  // Title and subtitle.
  y += 24;
  out.push(`<text x="${LEFT}" y="${y}" font-size="17" font-weight="bold">metaffi benchmark: ${esc(runtime)}</text>`);
  y += 18;
  out.push(`<text x="${LEFT}" y="${y}" font-size="11.5" fill="#444">${esc(`${rep.date} · ${rep.machine} · Node ${rep.node}`)}</text>`);
  y += 15;
  out.push(`<text x="${LEFT}" y="${y}" font-size="11.5" fill="#444">${esc(`median time per call, log scale (shorter is faster) · ${rep.mode}`)}</text>`);
  // Legend: entries laid out left to right, wrapping.
  y += 12;
  let lx = LEFT;
  const legendRow = 18;
  y += legendRow - 4;
  for (const r of impls) {
    const label = r.unavailable ? `${r.name} (n/a)` : r.name;
    const w = 18 + label.length * 6.6 + 16;
    if (lx + w > WIDTH - 8 && lx > LEFT) { lx = LEFT; y += legendRow; }
    out.push(`<rect x="${num(lx)}" y="${y - 10}" width="12" height="12" fill="${palette.get(r.name)}"/>`);
    out.push(`<text x="${num(lx + 17)}" y="${y}" font-size="12">${esc(label)}</text>`);
    lx += w;
  }
  // Decade axis labels on top.
  y += 22;
  const axisTop = y + 4;
  for (let e = lo; e <= hi; e++) {
    const x = xOf(10 ** e);
    const anchor = e === lo ? 'start' : e === hi ? 'end' : 'middle';
    out.push(`<text class="tick" x="${num(x)}" y="${y}" font-size="11" fill="#333" text-anchor="${anchor}">${decadeLabel(e)}</text>`);
  }
  y = axisTop + 4;
  const body: string[] = [];
  for (const s of scenarios) {
    y += GROUP_HEAD - 4;
    body.push(`<text x="${LEFT}" y="${y}" font-size="12" font-weight="bold" fill="#222">${esc(s.label)}</text>`);
    y += 4;
    for (const r of impls) {
      if (!shown(r, s.id)) continue;
      const c = cellOf(r, s.id);
      const colour = palette.get(r.name)!;
      if (c.kind === 'bar') {
        const x = Math.max(LEFT + 1, xOf(Math.max(c.ns, 10 ** lo)));
        body.push(`<rect class="bar" data-impl="${esc(r.name)}" data-scenario="${esc(s.id)}" data-ns="${c.ns}" x="${LEFT}" y="${y}" width="${num(x - LEFT)}" height="${BAR}" fill="${colour}"><title>${esc(`${r.name}: ${formatNs(c.ns)}`)}</title></rect>`);
        body.push(`<text x="${num(x + 4)}" y="${y + BAR - 2}" font-size="10" fill="#333">${esc(formatNs(c.ns))}</text>`);
      } else {
        body.push(`<rect x="${LEFT}" y="${y}" width="4" height="${BAR}" fill="${colour}" opacity="0.5"/>`);
        body.push(`<text class="na" data-impl="${esc(r.name)}" data-scenario="${esc(s.id)}" x="${LEFT + 8}" y="${y + BAR - 2}" font-size="10" font-style="italic" fill="#777">${esc(`${c.text} (${r.name})`)}<title>${esc(c.why)}</title></text>`);
      }
      y += BAR + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  const axisBottom = y;
  // Grid lines behind the bars.
  const grid: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const x = num(xOf(10 ** e));
    grid.push(`<line x1="${x}" y1="${axisTop}" x2="${x}" y2="${axisBottom}" stroke="#ccc" stroke-width="1"/>`);
    for (let k = 2; k < 10 && e < hi; k++) {
      const xm = num(xOf(k * 10 ** e));
      grid.push(`<line x1="${xm}" y1="${axisTop}" x2="${xm}" y2="${axisBottom}" stroke="#eee" stroke-width="1"/>`);
    }
  }
  y += 14;
  for (let e = lo; e <= hi; e++) {
    const x = xOf(10 ** e);
    const anchor = e === lo ? 'start' : e === hi ? 'end' : 'middle';
    body.push(`<text class="tick" x="${num(x)}" y="${y}" font-size="11" fill="#333" text-anchor="${anchor}">${decadeLabel(e)}</text>`);
  }
  y += 10;
  const height = Math.ceil(y);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...out, ...grid, ...body, '</svg>', '',
  ].join('\n');
}

/** Write one SVG per runtime present in the report; returns the files written. */
export function writeCharts(rep: Report, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const palette = colours(rep);
  const files: string[] = [];
  for (const rt of RUNTIMES) {
    const svg = runtimeChart(rep, rt, palette);
    if (svg === null) continue;
    const f = join(dir, `${rt}.svg`);
    writeFileSync(f, svg);
    files.push(f);
  }
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, dir] = process.argv.slice(2);
  if (!file || file === '--help' || file === '-h') {
    process.stdout.write('Usage: node .build/bench/charts.js <report.json> [outdir]  (default outdir: bench/build/charts)\n');
    process.exit(file ? 0 : 1);
  }
  const rep = JSON.parse(readFileSync(file, 'utf8')) as Report;
  for (const f of writeCharts(rep, dir ?? defaultChartsDir)) process.stdout.write(`wrote ${f}\n`);
}
