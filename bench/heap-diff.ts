/**
 * `npx tsx bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [top] [--retainers KIND]`
 * — what grew between two V8 heap snapshots of the same process (from `npm run bench -- --only
 * soak --soak N --heap-snapshots`):
 * 1. count and self size per node type + constructor/name, largest growth first;
 * 2. the objects that are NEW in the second snapshot (V8 keeps object ids stable across snapshots
 *    of one process), per kind;
 * 3. with `--retainers KIND` (e.g. `array:` or `object:Object`): the retainer paths of the new
 *    objects of that kind, grouped, so the owner of the growth is named.
 * Snapshots of a busy server are large: run with `NODE_OPTIONS=--max-old-space-size=8192`.
 */
import { readFileSync } from 'node:fs';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** `type:name` of node `i` (node index, not offset); names of strings and code are not told apart */
function kindOf(snap: HeapSnapshot, i: number): string {
  const fields = snap.snapshot.meta.node_fields;
  const stride = fields.length;
  const type = snap.snapshot.meta.node_types[0][snap.nodes[i * stride + fields.indexOf('type')]!] ?? '?';
  const name = type === 'object' || type === 'closure' || type === 'native' ? snap.strings[snap.nodes[i * stride + fields.indexOf('name')]!] : '';
  return `${type}:${name}`;
}

/** self bytes and count per `type:name`, optionally only for the nodes `keep` accepts */
export function sizesByKind(snap: HeapSnapshot, keep?: (nodeIndex: number) => boolean): Map<string, { count: number; bytes: number }> {
  const fields = snap.snapshot.meta.node_fields;
  const stride = fields.length;
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i * stride < snap.nodes.length; i++) {
    if (keep && !keep(i)) continue;
    const key = kindOf(snap, i);
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i * stride + sizeAt]!;
    out.set(key, e);
  }
  return out;
}

/** the ids of every node */
export function nodeIds(snap: HeapSnapshot): Set<number> {
  const fields = snap.snapshot.meta.node_fields;
  const stride = fields.length;
  const idAt = fields.indexOf('id');
  const ids = new Set<number>();
  for (let i = 0; i < snap.nodes.length; i += stride) ids.add(snap.nodes[i + idAt]!);
  return ids;
}

/** for every node, its retainers as [fromNode, edgeLabel] (weak edges left out) */
function retainers(snap: HeapSnapshot): { from: Int32Array; label: string[]; start: Int32Array } {
  const nf = snap.snapshot.meta.node_fields;
  const ns = nf.length;
  const ef = snap.snapshot.meta.edge_fields;
  const es = ef.length;
  const edgeCountAt = nf.indexOf('edge_count');
  const eType = ef.indexOf('type');
  const eName = ef.indexOf('name_or_index');
  const eTo = ef.indexOf('to_node');
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const n = snap.nodes.length / ns;
  const counts = new Int32Array(n + 1);
  const each = (fn: (from: number, to: number, label: string) => void) => {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const c = snap.nodes[i * ns + edgeCountAt]!;
      for (let k = 0; k < c; k++, e += es) {
        const t = edgeTypes[snap.edges[e + eType]!];
        if (t === 'weak') continue;
        const nameOrIndex = snap.edges[e + eName]!;
        const label =
          t === 'element' || t === 'hidden'
            ? `[${nameOrIndex}]`
            : t === 'context'
              ? `ctx.${snap.strings[nameOrIndex]}`
              : `.${snap.strings[nameOrIndex]}`;
        fn(i, snap.edges[e + eTo]! / ns, label);
      }
    }
  };
  each((_f, to) => counts[to + 1]!++);
  for (let i = 1; i <= n; i++) counts[i]! += counts[i - 1]!;
  const start = counts.slice();
  const fill = counts.slice();
  const from = new Int32Array(start[n]!);
  const label: string[] = new Array(start[n]!);
  each((f, to, l) => {
    const at = fill[to]!++;
    from[at] = f;
    label[at] = l;
  });
  return { from, label, start };
}

/** the retainer path (nearest first) of node i: follows the first retainer that is not itself new, up to `depth` */
function pathOf(snap: HeapSnapshot, r: ReturnType<typeof retainers>, i: number, depth: number): string {
  const parts: string[] = [];
  const seen = new Set<number>([i]);
  let cur = i;
  for (let d = 0; d < depth; d++) {
    let next = -1;
    let lbl = '';
    for (let k = r.start[cur]!; k < r.start[cur + 1]!; k++) {
      if (seen.has(r.from[k]!)) continue;
      next = r.from[k]!;
      lbl = r.label[k]!.replace(/^\[\d+\]$/, '[n]');
      break;
    }
    if (next < 0) break;
    parts.push(`${lbl} ← ${kindOf(snap, next)}`);
    seen.add(next);
    cur = next;
  }
  return parts.join('  ');
}

if (process.argv[1]?.endsWith('heap-diff.ts')) {
  const args = process.argv.slice(2);
  const rIdx = args.indexOf('--retainers');
  const retainKind = rIdx >= 0 ? args[rIdx + 1] : undefined;
  if (rIdx >= 0) args.splice(rIdx, 2);
  const [a, b, topArg] = args;
  if (!a || !b) throw new Error('usage: heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [top] [--retainers KIND]');
  const top = Number(topArg ?? 25);
  const beforeSnap = JSON.parse(readFileSync(a, 'utf8')) as HeapSnapshot;
  const before = sizesByKind(beforeSnap);
  const beforeIds = nodeIds(beforeSnap);
  const afterSnap = JSON.parse(readFileSync(b, 'utf8')) as HeapSnapshot;
  const after = sizesByKind(afterSnap);
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((k) => {
    const x = before.get(k) ?? { count: 0, bytes: 0 };
    const y = after.get(k) ?? { count: 0, bytes: 0 };
    return { k, dBytes: y.bytes - x.bytes, dCount: y.count - x.count, bytes: y.bytes };
  });
  rows.sort((p, q) => q.dBytes - p.dBytes);
  const fmt = (mb: number) => (mb / 1e6).toFixed(2).padStart(9);
  console.log('growth per kind (after − before):');
  for (const r of rows.slice(0, top))
    console.log(`${fmt(r.dBytes)} MB  ${String(r.dCount).padStart(9)} objects  (now ${(r.bytes / 1e6).toFixed(1)} MB)  ${r.k}`);

  const ns = afterSnap.snapshot.meta.node_fields.length;
  const idAt = afterSnap.snapshot.meta.node_fields.indexOf('id');
  const isNew = (i: number) => !beforeIds.has(afterSnap.nodes[i * ns + idAt]!);
  const fresh = [...sizesByKind(afterSnap, isNew)].sort((p, q) => q[1].bytes - p[1].bytes);
  console.log('\nobjects new since the first snapshot, per kind:');
  for (const [k, v] of fresh.slice(0, top)) console.log(`${fmt(v.bytes)} MB  ${String(v.count).padStart(9)} objects  ${k}`);

  if (retainKind) {
    const r = retainers(afterSnap);
    const sizeAt = afterSnap.snapshot.meta.node_fields.indexOf('self_size');
    const paths = new Map<string, { count: number; bytes: number }>();
    for (let i = 0; i * ns < afterSnap.nodes.length; i++) {
      if (!isNew(i) || kindOf(afterSnap, i) !== retainKind) continue;
      const p = pathOf(afterSnap, r, i, 8);
      const e = paths.get(p) ?? { count: 0, bytes: 0 };
      e.count++;
      e.bytes += afterSnap.nodes[i * ns + sizeAt]!;
      paths.set(p, e);
    }
    console.log(`\nretainer paths of new ${retainKind} (nearest first):`);
    for (const [p, v] of [...paths].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, top))
      console.log(`${fmt(v.bytes)} MB  ${String(v.count).padStart(9)}  ${p}`);
  }
}
