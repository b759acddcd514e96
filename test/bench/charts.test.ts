import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runtimeChart } from '../../bench/charts.js';
import type { Report } from '../../bench/report.js';

const m = (median: number) => ({ median, min: median, max: median, rounds: 3, callsPerRound: 1000 });

const report: Report = {
  date: '2026-12-04T20:00:00Z',
  machine: '2 x Test CPU <&>',
  node: '22.0.0',
  mode: 'quick',
  results: [
    { runtime: 'go', name: 'metaffi', kind: 'metaffi', cells: { void: m(150), int64: m(2500), 'sum-array-100': m(40000), 'sleep-4': m(1.02e7) } },
    { runtime: 'go', name: 'limit', kind: 'limit', cells: { void: m(30), int64: m(45), 'sum-array-100': { error: 'boom' } } },
    { runtime: 'go', name: 'koffi', kind: 'peer', cells: { void: m(900), int64: { unavailable: 'no int64' }, 'sum-array-100': m(1.2e6) } },
    { runtime: 'go', name: 'metaffi-async', kind: 'metaffi-async', cells: { void: m(7000), 'void-64': m(3000), 'sleep-4': m(2.6e6) } },
    { runtime: 'go', name: 'koffi-async', kind: 'peer-async', cells: { void: m(9000), 'void-64': { error: 'crashed' } } },
    { runtime: 'go', name: 'dead-async', kind: 'peer-async', unavailable: 'not built', cells: {} },
    { runtime: 'go', name: 'dead-peer', kind: 'peer', unavailable: 'not installed', cells: {} },
    { runtime: 'python3', name: 'metaffi', kind: 'metaffi', cells: { void: m(100) } },
  ],
};

interface El { name: string; attrs: Record<string, string>; text: string; children: El[] }

/** A small strict XML parser: elements, attributes, text; throws on anything unbalanced. */
function parse(xml: string): El {
  let i = 0;
  const root: El = { name: '#root', attrs: {}, text: '', children: [] };
  const stack: El[] = [root];
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const j = xml.indexOf('<', i);
      const t = xml.slice(i, j < 0 ? xml.length : j);
      assert.ok(!/[<>]/.test(t) && !/&(?!(amp|lt|gt|quot);)/.test(t), `bad text ${t}`);
      stack.at(-1)!.text += t;
      i = j < 0 ? xml.length : j;
      continue;
    }
    const j = xml.indexOf('>', i);
    assert.ok(j > 0, 'unterminated tag');
    const tag = xml.slice(i + 1, j);
    i = j + 1;
    if (tag.startsWith('/')) {
      const top = stack.pop()!;
      assert.equal(top.name, tag.slice(1), 'mismatched closing tag');
      continue;
    }
    const selfClose = tag.endsWith('/');
    const body = selfClose ? tag.slice(0, -1) : tag;
    const nm = /^([\w:-]+)/.exec(body);
    assert.ok(nm, `bad tag <${tag}>`);
    const el: El = { name: nm[1]!, attrs: {}, text: '', children: [] };
    const rest = body.slice(nm[1]!.length);
    const re = /\s+([\w:-]+)="([^"<]*)"/gy;
    let k = 0;
    for (let a = re.exec(rest); a; a = re.exec(rest)) {
      assert.ok(!(a[1]! in el.attrs), `duplicate attribute ${a[1]}`);
      el.attrs[a[1]!] = a[2]!;
      k = re.lastIndex;
    }
    assert.equal(rest.slice(k).trim(), '', `bad attributes in <${tag}>`);
    stack.at(-1)!.children.push(el);
    if (!selfClose) stack.push(el);
  }
  assert.equal(stack.length, 1, 'unclosed elements');
  return root;
}

function all(e: El, pred: (x: El) => boolean, out: El[] = []): El[] {
  if (pred(e)) out.push(e);
  for (const c of e.children) all(c, pred, out);
  return out;
}

describe('bench charts', () => {
  const svg = runtimeChart(report, 'go')!;
  const doc = parse(svg);

  it('is one well-formed svg element', () => {
    assert.equal(doc.children.length, 1);
    assert.equal(doc.children[0]!.name, 'svg');
    assert.match(svg, /2 x Test CPU &lt;&amp;&gt;/);
    assert.match(svg, /2026-12-04T20:00:00Z/);
  });

  it('draws one bar per measured cell and a label per unavailable or failed cell', () => {
    const bars = all(doc, (e) => e.attrs.class === 'bar');
    const measured = report.results.filter((r) => r.runtime === 'go')
      .flatMap((r) => Object.entries(r.cells).filter(([, c]) => 'median' in c).map(([id]) => `${r.name}/${id}`));
    assert.deepEqual(bars.map((b) => `${b.attrs['data-impl']}/${b.attrs['data-scenario']}`).sort(), measured.sort());
    const na = all(doc, (e) => e.attrs.class === 'na').map((e) => `${e.attrs['data-impl']}/${e.attrs['data-scenario']}:${e.text}`).sort();
    // The synchronous implementations appear in the synchronous scenarios; the async ones only
    // where they have a result or a reason (or in the async table's scenarios when they could
    // not run at all); the async-only scenarios (64 in flight, the sleeps) list only those.
    assert.deepEqual(na, [
      ...['int64', 'sleep-4', 'void', 'void-64'].map((id) => `dead-async/${id}:n/a (dead-async)`),
      ...['int64', 'sum-array-100', 'void'].map((id) => `dead-peer/${id}:n/a (dead-peer)`),
      'koffi-async/void-64:error (koffi-async)',
      'koffi/int64:n/a (koffi)', 'limit/sum-array-100:error (limit)',
    ].sort());
  });

  it('shows, per scenario, the limit, metaffi sync, metaffi async and each peer in that order', () => {
    const rows = (id: string) => all(doc, (e) => e.attrs['data-scenario'] === id).map((e) => e.attrs['data-impl']);
    assert.deepEqual(rows('void'), ['limit', 'metaffi', 'metaffi-async', 'koffi', 'dead-async', 'dead-peer', 'koffi-async']);
    assert.deepEqual(rows('sum-array-100'), ['limit', 'metaffi', 'koffi', 'dead-peer']);
    assert.deepEqual(rows('void-64'), ['metaffi-async', 'dead-async', 'koffi-async']);
    assert.deepEqual(rows('sleep-4'), ['metaffi', 'metaffi-async', 'dead-async']);
    // Scenario groups follow the scenario list: the synchronous ones, then the async table's.
    const groups = doc.children[0]!.children.filter((e) => e.name === 'text' && e.attrs['font-weight'] === 'bold' && e.attrs['font-size'] === '12')
      .map((e) => e.text);
    assert.deepEqual(groups, ['void call', 'int64 echo', 'array sum 100 float64 (Array)', 'void call, 64 in flight', '10 ms sleep, 4 at a time']);
  });

  it('gives each implementation one colour in every chart of the report', () => {
    const fill = (svg: string, impl: string) => new Set(all(parse(svg), (e) => e.attrs.class === 'bar' && e.attrs['data-impl'] === impl)
      .map((e) => e.attrs.fill));
    const py = runtimeChart(report, 'python3')!;
    assert.deepEqual(fill(py, 'metaffi'), fill(svg, 'metaffi'));
    assert.equal(fill(svg, 'metaffi').size, 1);
    assert.notDeepEqual(fill(svg, 'metaffi-async'), fill(svg, 'metaffi'));
  });

  it('bar lengths follow the times on a log scale', () => {
    const bars = all(doc, (e) => e.attrs.class === 'bar')
      .map((b) => ({ ns: Number(b.attrs['data-ns']), w: Number(b.attrs.width) }))
      .sort((a, b) => a.ns - b.ns);
    for (let k = 1; k < bars.length; k++) assert.ok(bars[k]!.w > bars[k - 1]!.w, `bar of ${bars[k]!.ns} ns not longer than ${bars[k - 1]!.ns} ns`);
    // Log scale: equal ratios give equal differences (30 -> 300 ns vs 150 -> 1500 ns would match).
    const [a, b, c] = [bars.find((x) => x.ns === 45)!, bars.find((x) => x.ns === 900)!, bars.find((x) => x.ns === 40000)!];
    const perDecade = (b.w - a.w) / Math.log10(900 / 45);
    assert.ok(Math.abs((c.w - b.w) / Math.log10(40000 / 900) - perDecade) < 0.5);
  });

  it('has decade ticks spanning the times, a legend entry per implementation, in the preferred order', () => {
    const ticks = all(doc, (e) => e.attrs.class === 'tick').map((e) => e.text);
    assert.ok(ticks.includes('10 ns') && ticks.includes('1 µs') && ticks.includes('10 ms'), ticks.join(','));
    const legend = doc.children[0]!.children.filter((e) => e.name === 'text' && e.attrs['font-size'] === '12' && !e.attrs['font-weight']).map((e) => e.text);
    assert.deepEqual(legend, ['limit', 'metaffi', 'metaffi-async', 'koffi', 'dead-async (n/a)', 'dead-peer (n/a)', 'koffi-async']);
  });

  it('is the same text for the same report, and null for a runtime without results', () => {
    assert.equal(runtimeChart(structuredClone(report), 'go'), svg);
    assert.equal(runtimeChart(report, 'openjdk'), null);
  });
});
