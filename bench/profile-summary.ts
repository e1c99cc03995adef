/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]` — self time per function of a V8 CPU
 * profile (from `npm run bench -- --cpu-prof`), heaviest first.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per `function (file:line)`, µs, heaviest first. */
export function selfTimes(profile: CpuProfile): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    if (!n) return;
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*\/work\/main\//, '');
    const key = `${f.functionName || '(anonymous)'} ${file ? `(${file}:${f.lineNumber + 1})` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...self.entries()].sort((a, b) => b[1] - a[1]);
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(process.argv[3] ?? 25);
  const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const total = rows.reduce((a, [, t]) => a + t, 0);
  for (const [k, t] of rows.slice(0, top))
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}
