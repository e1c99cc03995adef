/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [--from S] [--to S] [--timeline]` — self
 * time per function of a V8 CPU profile (from `npm run bench -- --cpu-prof`), heaviest first.
 * `--from`/`--to` keep only the samples between those seconds after the profile started (one
 * phase of the run); `--timeline` prints the busy share per second first, to find the phases.
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

const IDLE = new Set(['(idle)', '(program)']);

/** Keeps the samples taken between `fromS` and `toS` seconds after the profile's first sample. */
export function sliceProfile(profile: CpuProfile, fromS: number, toS: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let t = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t >= fromS * 1e6 && t < toS * 1e6) {
      samples.push(id);
      timeDeltas.push(profile.timeDeltas[i] ?? 0);
    }
  });
  return { nodes: profile.nodes, samples, timeDeltas };
}

/** Busy (not idle) share per whole second since the first sample. */
export function timeline(profile: CpuProfile): number[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const busy: number[] = [];
  const all: number[] = [];
  let t = 0;
  profile.samples.forEach((id, i) => {
    const d = profile.timeDeltas[i] ?? 0;
    t += d;
    const s = Math.floor(t / 1e6);
    all[s] = (all[s] ?? 0) + d;
    if (!IDLE.has(byId.get(id)?.callFrame.functionName ?? '')) busy[s] = (busy[s] ?? 0) + d;
  });
  return Array.from(all, (a, s) => (a ? (busy[s] ?? 0) / a : 0));
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
  const args = process.argv.slice(2);
  const flag = (name: string): number | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const [file, topArg] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.match(/^--(from|to)$/));
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top] [--from S] [--to S] [--timeline]');
  const top = Number(topArg ?? 25);
  let profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (args.includes('--timeline'))
    console.log(
      timeline(profile)
        .map((b, s) => `${s}s ${Math.round(b * 100)}%`)
        .join('  '),
    );
  profile = sliceProfile(profile, flag('--from') ?? 0, flag('--to') ?? Infinity);
  const rows = selfTimes(profile);
  const total = rows.reduce((a, [, t]) => a + t, 0);
  const busy = rows.filter(([k]) => !IDLE.has(k.trim())).reduce((a, [, t]) => a + t, 0);
  console.log(`busy ${((busy / total) * 100).toFixed(1)}% of ${(total / 1e6).toFixed(1)} s`);
  for (const [k, t] of rows.slice(0, top))
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}
