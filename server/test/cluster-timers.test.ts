/**
 * The timers that act run once cluster-wide (issue 15): the offline check is held by one node's
 * lease; when that node is killed, a survivor takes the lease over and the device that fell silent
 * meanwhile gets exactly one offline alert — one record in the store, one `alert.raised` in the log
 * — and every node shows it offline, including the killed node once it is back.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CATALOGUE, OFFLINE_SILENCE_FACTOR } from '../../scenes/catalogue';
import type { Alert, Device } from '../../scenes/domain';
import { startCluster, type TestCluster } from '../../tests/helpers/cluster';
import { devicesAt, getJsonAt, ingestAt, loginAt, nodesAt, signReadings, waitUntil } from '../../tests/helpers/cluster-clients';

/** Lease ttl + renew + the offline check interval + slack for a loaded 2-core machine, ms. */
const TAKEOVER_MS = 5_000 + 1_000 + 5_000 + 10_000;
/** A node restart (rebuild not needed: the harness built the bundle) until ready, ms. */
const RESTART_MS = 60_000;
/** The offline check runs every 5 s (config default); two more rounds show nobody raises again. */
const CHECK_ROUNDS_MS = 2 * 5_000;

const inCI = process.env.CI === 'true';
let cluster: TestCluster | null = null;
let redis: Redis | null = null;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
  if (!cluster) {
    if (inCI) throw new Error('redis-server and nginx are required in CI (apt-get install redis-server nginx)');
    console.warn('SKIPPED cluster timers test: install the Debian packages redis-server and nginx');
    return;
  }
  redis = new Redis(cluster.redis.url, { lazyConnect: false });
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
}, 60_000);

/** The offline alerts of a device in the store, and the `alert.raised` events of them in the log. */
async function offlineRecords(prefix: string, deviceId: string): Promise<{ stored: Alert[]; raisedEvents: number }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis!.scan(cursor, 'MATCH', `${prefix}:alert:${deviceId}|*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const stored = (await Promise.all(keys.map((k) => redis!.get(k))))
    .filter((v): v is string => v !== null)
    .map((v) => JSON.parse(v) as Alert)
    .filter((a) => a.ruleId.endsWith('.offline'));
  const entries = (await redis!.xrange(`${prefix}:events`, '-', '+')) as [string, string[]][];
  let raisedEvents = 0;
  for (const [, fields] of entries) {
    const e = JSON.parse(fields[fields.indexOf('e') + 1]!) as { type: string; alert?: Alert };
    if (e.type === 'alert.raised' && e.alert?.deviceId === deviceId && e.alert.ruleId.endsWith('.offline')) raisedEvents++;
  }
  return { stored, raisedEvents };
}

describe('acting timers across nodes', () => {
  it(
    'raises one offline alert for a silent device after the offline-check holder is killed, and no node raises a second',
    async (ctx) => {
      if (!cluster) return ctx.skip();
      const c = cluster;
      const admin = await loginAt(c.nodeUrl(0), 'admin');
      // who checks silence now
      const holderIndex = await waitUntil(
        'a node holds the offline lease',
        async () => {
          const nodes = (await nodesAt(c.nodeUrl(0), admin)).nodes;
          const holder = nodes.find((n) => n.leases.includes('offline'));
          return holder ? Number(holder.nodeId.replace('node-', '')) - 1 : undefined;
        },
        15_000,
      );
      const otherIndex = 1 - holderIndex;
      const otherUrl = c.nodeUrl(otherIndex);
      const adminOther = await loginAt(otherUrl, 'admin');

      // the fastest-reporting kind goes offline soonest
      const devices = await devicesAt(otherUrl, adminOther);
      const byInterval = (d: Device) => DEVICE_CATALOGUE[d.kind].intervalMs;
      const device = devices.filter((d) => d.status === 'active').sort((a, b) => byInterval(a) - byInterval(b))[0]!;
      const metric = DEVICE_CATALOGUE[device.kind].metrics[0]!;
      const quiet = (metric.min + metric.max) / 2;
      const t0 = Date.now();
      const answer = await ingestAt(
        otherUrl,
        signReadings([1, 2, 3].map((seq) => ({ deviceId: device.id, ts: t0 - 300 + seq * 100, seq, metrics: { [metric.name]: quiet } }))),
      );
      expect(answer.status).toBe(200);
      expect(answer.body.accepted).toBe(3);

      // the holder dies before the device's silence is long enough to count
      await c.nodes[holderIndex]!.kill9();
      const silenceMs = OFFLINE_SILENCE_FACTOR * byInterval(device);

      await waitUntil(
        'the survivor raises the offline alert',
        async () => ((await offlineRecords(c.prefix, device.id)).stored.length > 0 ? true : undefined),
        silenceMs + TAKEOVER_MS,
      );
      const survivorNodes = (await nodesAt(otherUrl, adminOther)).nodes;
      expect(survivorNodes.find((n) => n.nodeId === c.nodeId(otherIndex))?.leases).toContain('offline');

      // the killed node comes back: it restores the device as offline and raises nothing itself
      await c.nodes[holderIndex]!.restart();
      await new Promise((r) => setTimeout(r, CHECK_ROUNDS_MS));
      const after = await offlineRecords(c.prefix, device.id);
      expect(after.stored).toHaveLength(1);
      expect(after.raisedEvents).toBe(1);
      for (const i of [holderIndex, otherIndex]) {
        const token = await loginAt(c.nodeUrl(i), 'officer1');
        const { body } = await getJsonAt<{ alerts: Alert[] }>(c.nodeUrl(i), `/api/alerts?state=active`, token);
        expect(body.alerts.filter((a) => a.deviceId === device.id && a.ruleId.endsWith('.offline')).map((a) => a.id)).toEqual([after.stored[0]!.id]);
      }
    },
    RESTART_MS + 120_000,
  );
});
