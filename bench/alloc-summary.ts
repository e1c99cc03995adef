/**
 * `npx tsx bench/alloc-summary.ts <file.heapprofile> [top] [--callers]` — bytes allocated per
 * function in a V8 sampling heap profile (the server's `allocationSampleStart/Stop`, which count the
 * objects a GC already collected too), heaviest first. `--callers` adds the three frames above each.
 */
import { readFileSync } from 'node:fs';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  id: number;
  children: HeapNode[];
}

function frameName(n: HeapNode): string {
  const url = n.callFrame.url.replace(/^.*\/(node_modules\/)?/, (m, nm: string | undefined) => (nm ? 'node_modules/' : ''));
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `(${url}:${n.callFrame.lineNumber + 1})` : ''}`.trim();
}

export function summarize(head: HeapNode, withCallers: boolean): { total: number; rows: [string, number][] } {
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, stack: string[]): void => {
    const name = frameName(n);
    if (n.selfSize > 0) {
      const key = withCallers ? [name, ...stack.slice(-3).reverse()].join(' ← ') : name;
      bytes.set(key, (bytes.get(key) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    stack.push(name);
    for (const c of n.children) walk(c, stack);
    stack.pop();
  };
  walk(head, []);
  return { total, rows: [...bytes].sort((a, b) => b[1] - a[1]) };
}

if (process.argv[1]?.endsWith('alloc-summary.ts')) {
  const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: alloc-summary.ts <file.heapprofile> [top] [--callers]');
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
  const { total, rows } = summarize(head, process.argv.includes('--callers'));
  console.log(`sampled ${(total / 1e6).toFixed(1)} MB`);
  for (const [name, b] of rows.slice(0, Number(topArg ?? 40)))
    console.log(`${((100 * b) / total).toFixed(1).padStart(5)}% ${(b / 1e6).toFixed(1).padStart(8)} MB  ${name}`);
}
