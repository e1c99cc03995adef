/**
 * A store outage must not blind the wall: readings are still fused and alerts still reach
 * screens; the readings wait in memory and reach the store when it answers again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { MemoryStore } from '../store/memory-store';
import type { Reading } from '../../scenes/domain';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { SceneJoinResult } from '../../scenes/protocol';
import { DeltaCollector, emitAck, ingest, liveSocket, login, sign, startTestServer } from './helpers';

class FlakyStore extends MemoryStore {
  down = false;
  override async ping(): Promise<boolean> {
    return !this.down;
  }
  override async appendReadings(readings: readonly Reading[], batchId?: string): Promise<void> {
    if (this.down) throw new Error('ECONNREFUSED (simulated outage)');
    return super.appendReadings(readings, batchId);
  }
}

let server: IocServer;
const store = new FlakyStore();
const METRICS_TOKEN = 'store-outage-metrics-token';
const METRICS_AUTH = { authorization: `Bearer ${METRICS_TOKEN}` };

beforeAll(async () => {
  server = await startTestServer({ metricsToken: METRICS_TOKEN }, { store });
});
afterAll(async () => {
  await server?.close();
});

describe('store outage', () => {
  it('keeps alerting while the store is down and writes the readings once it is back', async () => {
    const gas = [...server.fusion.devices.values()].find((d) => d.kind === 'gas-detector')!;
    const rule = DEFAULT_RULES.find((r) => r.deviceKind === 'gas-detector' && r.type === 'threshold');
    if (!rule || rule.type !== 'threshold') throw new Error('no gas threshold rule');
    const screen = await liveSocket(server, await login(server, 'screen1'));
    try {
      const deltas = new DeltaCollector(screen);
      const join = await emitAck<SceneJoinResult>(screen, 'scene:join', { scene: 'emergency' });
      expect(join.ok).toBe(true);

      store.down = true;
      const now = Date.now();
      const over = rule.limits.red! + 5;
      const steps = Math.ceil(rule.minDurationMs / 1000) + 2;
      const readings = Array.from({ length: steps }, (_, i) => ({
        deviceId: gas.id,
        ts: now - (steps - i) * 1000,
        seq: i + 1,
        metrics: { lel: over },
      }));
      const r = await ingest(server, sign(readings));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ accepted: steps, deferred: steps });
      await deltas.waitFor((d) => !!d.delta.alerts?.put?.some((a) => a.deviceId === gas.id && a.level === 'red'));
      expect(server.ingest.deferredReadings()).toBe(steps);
      // the detailed health is for the metrics token (anonymous callers get the status only)
      const health = await fetch(`${server.url}/healthz`, { headers: METRICS_AUTH });
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'degraded', ready: false, storeReachable: false, deferredReadings: steps });
      expect(await store.readReadings([gas.id], 0, Date.now(), 100)).toHaveLength(0);

      store.down = false;
      expect(await server.ingest.flushDeferred()).toBe(steps);
      expect(server.ingest.deferredReadings()).toBe(0);
      expect(await store.readReadings([gas.id], 0, Date.now(), 100)).toHaveLength(steps);
      expect(await (await fetch(`${server.url}/healthz`, { headers: METRICS_AUTH })).json()).toMatchObject({
        status: 'ok',
        ready: true,
        deferredReadings: 0,
      });
    } finally {
      screen.close();
    }
  });
});

describe('deferred readings queue', () => {
  it('is bounded: beyond it readings are answered E_UNAVAILABLE (never acknowledged) and can be sent again', async () => {
    const { IngestService } = await import('../ingest');
    const { Fusion } = await import('../fusion');
    const { DeviceTokenVerifier, DEV_DEVICE_SECRET } = await import('../device-token');
    const { generateFleet } = await import('../../scenes/fleet');
    const devices = generateFleet({ count: 50 });
    const flaky = new FlakyStore();
    flaky.down = true;
    const svc = new IngestService(flaky, new Fusion(devices), new DeviceTokenVerifier(DEV_DEVICE_SECRET), () => undefined, {
      maxClockSkewMs: 60_000,
      maxDeferredReadings: 3,
    });
    const d = devices.find((x) => x.kind === 'rain-gauge')!;
    const reading = (seq: number) => ({ deviceId: d.id, ts: Date.now(), seq, metrics: { rainfall: 1 } });
    for (let seq = 1; seq <= 5; seq++) {
      const res = await svc.ingest(sign([reading(seq)]));
      if (seq <= 3) expect(res).toMatchObject({ accepted: 1, deferred: 1, rejected: [] });
      else expect(res).toMatchObject({ accepted: 0, rejected: [{ index: 0, code: 'E_UNAVAILABLE' }] });
    }
    expect(svc.deferredReadings()).toBe(3);
    expect(svc.totals.unavailable).toBe(2);
    flaky.down = false;
    expect(await svc.flushDeferred()).toBe(3);
    // the refused readings were not taken: sent again, they are accepted
    expect(await svc.ingest(sign([reading(4), reading(5)]))).toMatchObject({ accepted: 2, rejected: [] });
    const stored = await flaky.readReadings([d.id], 0, Date.now(), 10);
    expect(stored.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});
