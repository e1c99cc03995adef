/**
 * `npx tsx bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [top]` — which kinds of
 * objects grew between two V8 heap snapshots (from `npm run bench -- --only soak --soak N
 * --heap-snapshots`): count and self size per node type + constructor/name, largest growth first.
 */
import { readFileSync } from 'node:fs';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** self bytes and count per `type:name` (names of strings and code are not told apart) */
export function sizesByKind(snap: HeapSnapshot): Map<string, { count: number; bytes: number }> {
  const fields = snap.snapshot.meta.node_fields;
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const name = type === 'object' || type === 'closure' || type === 'native' ? snap.strings[snap.nodes[i + nameAt]!] : '';
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + sizeAt]!;
    out.set(key, e);
  }
  return out;
}

if (process.argv[1]?.endsWith('heap-diff.ts')) {
  const [a, b, topArg] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [top]');
  const before = sizesByKind(JSON.parse(readFileSync(a, 'utf8')) as HeapSnapshot);
  const after = sizesByKind(JSON.parse(readFileSync(b, 'utf8')) as HeapSnapshot);
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((k) => {
    const x = before.get(k) ?? { count: 0, bytes: 0 };
    const y = after.get(k) ?? { count: 0, bytes: 0 };
    return { k, dBytes: y.bytes - x.bytes, dCount: y.count - x.count, bytes: y.bytes };
  });
  rows.sort((p, q) => q.dBytes - p.dBytes);
  for (const r of rows.slice(0, Number(topArg ?? 25)))
    console.log(
      `${(r.dBytes / 1e6).toFixed(2).padStart(9)} MB  ${String(r.dCount).padStart(9)} objects  (now ${(r.bytes / 1e6).toFixed(1)} MB)  ${r.k}`,
    );
}
