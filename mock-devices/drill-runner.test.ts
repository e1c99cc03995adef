import { describe, expect, it } from 'vitest';
import type { SignedReading } from '../scenes/protocol';
import { runDrill } from './drill';
import { RuleHarness } from './rule-harness';
import { generateFleet } from '../scenes/fleet';
import { ALERT_LEVEL_RANK } from '../scenes/domain';
import { SEQ_PER_MS, DRILL_SEQ_SLOT } from './simulator';

describe('runDrill (standalone, fake server)', () => {
  it('sends only the drill devices, with time-based seq, and the readings raise the expected alerts', async () => {
    const sent: SignedReading[] = [];
    const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as { readings: SignedReading[] };
      sent.push(...body.readings);
      return new Response(JSON.stringify({ accepted: body.readings.length, duplicates: 0, outOfOrder: 0, rejected: [] }), { status: 200 });
    }) as typeof fetch;
    const startTs = Date.UTC(2026, 5, 9, 19, 0, 0);
    const result = await runDrill('http://127.0.0.1:9', 'gas-leak', { devices: 300, seed: 11, fetchImpl, realTime: false, startTs, log: () => {} });
    const ids = new Set(result.plan.deviceIds);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      expect(ids.has(r.deviceId)).toBe(true);
      expect(r.seq).toBeGreaterThanOrEqual(r.ts * SEQ_PER_MS + DRILL_SEQ_SLOT);
      expect(r.token.length).toBeGreaterThanOrEqual(16);
    }
    const harness = new RuleHarness(generateFleet({ count: 300, seed: 11 }));
    harness.feed(sent);
    for (const e of result.expected) {
      const got = harness.worstLevel(e.deviceId, e.ruleIdPrefix);
      expect(got).not.toBeNull();
      expect(ALERT_LEVEL_RANK[got!]).toBeLessThanOrEqual(ALERT_LEVEL_RANK[e.level]);
    }
    expect(result.stats.sent).toBe(sent.length);
  });
});
