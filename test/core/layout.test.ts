/**
 * The shape of the tree, checked: one table of type codes (native/metaffi_types.h) that the
 * TypeScript enum matches and the Go guest runtime takes its constants from, no import cycle
 * in src/, and native files small enough to read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { MetaFFITypes } from 'metaffi';
import { repoRoot } from '../support/fixtures.js';

/** Rows of the X-macro table: name, code, MetaFFI name, packed width. */
function typeTable(): { name: string; code: bigint; text: string; width: number }[] {
  const header = readFileSync(join(repoRoot, 'xllr', 'metaffi_types.h'), 'utf8');
  const rows = [...header.matchAll(/X\((\w+), (\(1ULL << \d+\)|\d+ULL), "(\w+)", (\d+)\)/g)].map((m) => {
    const raw = m[2]!;
    const shift = /<< (\d+)/.exec(raw);
    const code = shift ? 1n << BigInt(shift[1]!) : BigInt(raw.replace('ULL', ''));
    return { name: m[1]!, code, text: m[3]!, width: Number(m[4]) };
  });
  return rows;
}

function files(dir: string, test: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...files(full, test));
    else if (test(name)) out.push(full);
  }
  return out;
}

describe('layout', () => {
  it('the type table has every MetaFFI code once, and MetaFFITypes matches it', () => {
    const table = typeTable();
    assert.ok(table.length >= 24, `only ${table.length} rows read from metaffi_types.h`);
    assert.equal(new Set(table.map((r) => r.code)).size, table.length, 'a code appears twice');
    const enumValues = MetaFFITypes as unknown as Record<string, number>;
    for (const row of table) {
      if (row.name === 'MAP') continue; // this project's extension: not one of MetaFFI's types
      assert.equal(BigInt(enumValues[`metaffi_${row.text}_type`] ?? -1), row.code, `metaffi_${row.text}_type`);
    }
    // and every base type of the enum is in the table
    const codes = new Set(table.map((r) => r.code));
    for (const [name, value] of Object.entries(enumValues)) {
      if (typeof value !== 'number' || name.includes('_array_') || name.includes('_packed_')) continue;
      assert.ok(codes.has(BigInt(value)), `${name} = ${value} is not in metaffi_types.h`);
    }
  });

  it('the Go guest runtime takes its type codes from the table (no numbers of its own)', () => {
    const source = files(join(repoRoot, 'runtimes', 'go', 'guest'), (n) => n.endsWith('.go'))
      .map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const row of typeTable()) {
      assert.match(source, new RegExp(`= uint64\\(C\\.MT_${row.name}\\)`), `MT_${row.name} is not taken from the table`);
    }
    assert.doesNotMatch(source, /mffi\w+\s+uint64\s*=\s*\d+/, 'a type code written as a number');
  });

  it('src/ has no import cycle', () => {
    const src = join(repoRoot, 'src');
    const graph = new Map<string, string[]>();
    for (const file of files(src, (n) => n.endsWith('.ts') || n.endsWith('.cts'))) {
      const text = readFileSync(file, 'utf8');
      const deps = [...text.matchAll(/(?:from\s+|import\()\s*['"](\.[^'"]+)['"]/g)]
        .map((m) => resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'));
      graph.set(file, deps);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...path.slice(path.indexOf(node)), node].map((f) => relative(src, f)).join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const dep of graph.get(node) ?? []) visit(dep, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    assert.deepEqual(cycles, []);
  });

  it('XLLR, the host-agnostic core, includes no header of a host or runtime', () => {
    const sources = files(join(repoRoot, 'xllr'), (n) => n.endsWith('.c') || n.endsWith('.h'));
    assert.ok(sources.length >= 5, `only ${sources.length} XLLR files found`);
    const offending = sources.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s*#\s*include\s*[<"]([^>"]+)[>"]/gm)]
      .map((m) => m[1]!)
      .filter((h) => /(^|\/)(node_api|js_native_api|Python|jni)\.h$/.test(h))
      .map((h) => `${relative(repoRoot, f)} includes ${h}`));
    assert.deepEqual(offending, []);
  });

  it('no native source file is over 900 lines', () => {
    const native = [join(repoRoot, 'xllr'), join(repoRoot, 'hosts'), ...['python3', 'openjdk', 'go'].map((r) => join(repoRoot, 'runtimes', r, 'plugin'))]
      .flatMap((d) => files(d, (n) => n.endsWith('.c') || n.endsWith('.h')));
    assert.ok(native.length > 10, `only ${native.length} native files found`);
    const long = native.map((f) => [relative(repoRoot, f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > 900);
    assert.deepEqual(long, []);
  });
});
