/**
 * The drill goal of issue 14 on a REAL server (memory store): the rainstorm drill's readings go
 * through POST /api/ingest (mock-devices/drill.ts, simulated time, as fast as the server takes
 * them); afterwards the duty officer faces at most 5 decisions (`GET /api/decisions`) instead of
 * one per alert, and every alert raised is reachable from a warning or an incident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import type { Alert } from '../../scenes/domain';
import { DEFAULT_FLEET } from '../../scenes/fleet';
import type { AlertsAnswer, DecisionsAnswer } from '../../scenes/storm/warning-messages';
import { DRILL_TAIL_MS, runDrill, type RunDrillResult } from '../../mock-devices/drill';
import { DRILLS } from '../../mock-devices/drills';
import { login, startTestServer } from './helpers';

/** the officer looks this long after the drill's last reading (ms): alert changes settle, warnings are recomputed */
const SETTLE_TIMEOUT_MS = 15_000;
const POLL_MS = 100;

let server: IocServer;
let officer: string;
let drill: RunDrillResult;

async function get<T>(path: string): Promise<T> {
  const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${officer}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as T;
}

beforeAll(async () => {
  // the default demo fleet: the one the drill plans and the pure drill test (scenes/storm/rainstorm-drill.test.ts) use
  server = await startTestServer({ demoDevices: DEFAULT_FLEET.count, demoSeed: DEFAULT_FLEET.seed });
  officer = await login(server, 'officer1');
  const durationMs = DRILLS.rainstorm.durationMs + DRILL_TAIL_MS;
  drill = await runDrill(server.url, 'rainstorm', {
    devices: DEFAULT_FLEET.count,
    seed: DEFAULT_FLEET.seed,
    realTime: false,
    // the drill's last reading a few seconds ago: readings from the future are refused
    startTs: Date.now() - durationMs - 2_000,
    log: () => {},
  });
  // settled: every expected alert is in, and the decisions no longer change between two looks
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let previous = '';
  for (;;) {
    const alerts = (await get<AlertsAnswer>('/api/alerts?state=all&limit=2000')).alerts;
    const expectedIn = drill.expected.every((e) => alerts.some((a) => a.deviceId === e.deviceId && a.ruleId.startsWith(e.ruleIdPrefix ?? '')));
    const now = JSON.stringify(await get<DecisionsAnswer>('/api/decisions').then((d) => [d.decisions, d.warnings.map((w) => w.alertIds)]));
    if (expectedIn && now === previous) break;
    if (Date.now() > deadline) throw new Error(`drill did not settle: expected alerts in = ${expectedIn}`);
    previous = now;
    await new Promise((r) => setTimeout(r, POLL_MS * 5));
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('rainstorm drill through a real server', () => {
  it('delivered every reading', () => {
    expect(drill.stats.sent).toBeGreaterThan(0);
    expect(drill.stats).toMatchObject({ rejected: 0 });
  });

  it('leaves the officer at most 5 decisions, and every alert reachable from a warning or an incident', async () => {
    const answer = await get<DecisionsAnswer>('/api/decisions');
    const alerts = (await get<AlertsAnswer>('/api/alerts?state=all&limit=2000')).alerts;
    const incidents = (await get<{ incidents: { id: string; alertIds: string[]; category: string }[] }>('/api/incidents')).incidents;
    const summary = {
      alerts: alerts.length,
      decisions: answer.decisions.map((d) => d.kind),
      warnings: answer.warnings.map((w) => [w.district, w.level, w.alertIds.length]),
      incidents: incidents.map((i) => [i.category, i.alertIds.length]),
    };
    // the storm: dozens of alerts (44 rain gauges, the river, three underpasses on the default fleet)
    expect(alerts.length, JSON.stringify(summary)).toBeGreaterThanOrEqual(drill.expected.length);
    expect(answer.decisions.length, JSON.stringify(summary)).toBeLessThanOrEqual(5);
    expect(answer.decisions.filter((d) => d.kind === 'bulletin').length, JSON.stringify(summary)).toBeGreaterThanOrEqual(1);
    const reachable = new Set([...answer.warnings.flatMap((w) => w.alertIds), ...incidents.flatMap((i) => i.alertIds)]);
    const lost: Alert[] = alerts.filter((a) => !reachable.has(a.id));
    expect(
      lost.map((a) => [a.deviceId, a.ruleId, a.level]),
      JSON.stringify(summary),
    ).toEqual([]);
  });
});
