/**
 * Registry edits reach every node of a cluster (issue 15): two in-process nodes on one throwaway
 * redis-server and one prefix, each with its own RedisStore and node id. An admin's edit on node A
 * (device created, token rotated, rule override put, device put in maintenance) takes effect on
 * node B through the shared log — B's ingest accepts the new device's token and refuses the
 * rotated-away one, B alerts by the override and stops alerting once the device is in
 * maintenance — without B restarting. Every wait is for a condition.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { ThresholdRule } from '../../scenes/domain';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { waitUntil } from '../../tests/helpers/cluster-clients';
import type { IocServer } from '../app';
import { RedisStore } from '../store/redis-store';
import { ingest, login, startTestServer } from './helpers';

const redis = await startRedisServer();
const inCI = process.env.CI === 'true';
if (!redis && inCI) throw new Error('redis-server is required in CI (apt-get install redis-server)');
if (!redis) console.warn('SKIPPED cluster registry tests: install the Debian package redis-server');

/** How long an edit on A may take to reach B; generous for a loaded 2-core machine, ms. */
const PROPAGATION_MS = 5_000;
/** Demo devices seeded by node A: few, the test makes its own. */
const DEMO_DEVICES = 10;

const STRAIN_RULE = DEFAULT_RULES.find((r) => r.id === 'bridge.strain.threshold') as ThresholdRule;
/** Below the default yellow limit, above the override's red limit. */
const STRAIN_BETWEEN = STRAIN_RULE.limits.yellow! - 50;
const OVERRIDE_LIMITS = { yellow: STRAIN_BETWEEN - 150, orange: STRAIN_BETWEEN - 100, red: STRAIN_BETWEEN - 50 };

let a: IocServer;
let b: IocServer;
let admin: string;
let seq = 1;

async function startNode(nodeId: string, prefix: string): Promise<IocServer> {
  const store = new RedisStore(redis!.url, { prefix, nodeId });
  return startTestServer({ cluster: true, demoDevices: DEMO_DEVICES }, { store, nodeId });
}

beforeAll(async () => {
  if (!redis) return;
  const prefix = `cluster-registry-${randomUUID().slice(0, 8)}`;
  // A seeds the empty store; B starts on what A wrote
  a = await startNode('node-a', prefix);
  b = await startNode('node-b', prefix);
  admin = await login(a, 'admin');
}, 60_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
  await redis?.stop();
});

async function api(server: IocServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

const strainReading = (deviceId: string, token: string, strain: number) => ({ deviceId, ts: Date.now(), seq: seq++, metrics: { strain }, token });

/** POSTs one reading to `server` until it is accepted (the edit reached that node). */
function acceptedBy(server: IocServer, deviceId: string, token: string, strain: number): Promise<true> {
  return waitUntil(
    `${deviceId}'s reading accepted by ${server.url}`,
    async () => (await ingest(server, [strainReading(deviceId, token, strain)])).body.accepted === 1,
    PROPAGATION_MS,
  );
}

describe.skipIf(!redis)('registry edits on one node reach another node (issue 15)', () => {
  const deviceId = `cl-sg-${randomUUID().slice(0, 6)}`;
  let token = '';

  it("accepts on node B the readings of a device created on node A, with that device's token", async () => {
    const created = await api(a, 'POST', '/devices', { id: deviceId, kind: 'strain-gauge', name: '集群应变计', location: [120.41, 36.16] });
    expect(created.status).toBe(201);
    token = created.body.token as string;
    await acceptedBy(b, deviceId, token, 10);
    expect(b.fusion.devices.get(deviceId)).toMatchObject({ kind: 'strain-gauge', status: 'active' });
    expect(b.registry.getDevice(deviceId)?.version).toBe(1);
  });

  it('refuses on node B a token rotated away on node A, and accepts the new one', async () => {
    const rotated = await api(a, 'POST', `/devices/${deviceId}/token`, {});
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.token as string;
    await acceptedBy(b, deviceId, fresh, 10);
    const old = await ingest(b, [strainReading(deviceId, token, 10)]);
    expect(old.body.accepted).toBe(0);
    expect(old.body.rejected[0].code).toBe('E_UNAUTHORIZED');
    token = fresh;
  });

  it("alerts on node B by a rule override put on node A (effective from the device's next reading)", async () => {
    // the default limits: no alert at this value
    expect((await ingest(b, [strainReading(deviceId, token, STRAIN_BETWEEN)])).body.accepted).toBe(1);
    expect(b.fusion.openAlertsOf(deviceId)).toEqual([]);
    const put = await api(a, 'PUT', `/rules/${STRAIN_RULE.id}/overrides/device/${deviceId}`, {
      patch: { limits: OVERRIDE_LIMITS, minDurationMs: 0 },
      expectedVersion: 0,
    });
    expect(put.status).toBe(200);
    await waitUntil(
      'the override in force on node B',
      () => (b.fusion.rulesOf(deviceId).find((r) => r.id === STRAIN_RULE.id) as ThresholdRule | undefined)?.limits.red === OVERRIDE_LIMITS.red,
      PROPAGATION_MS,
    );
    expect((await ingest(b, [strainReading(deviceId, token, STRAIN_BETWEEN)])).body.accepted).toBe(1);
    expect(b.fusion.openAlertsOf(deviceId)).toMatchObject([{ ruleId: STRAIN_RULE.id, level: 'red' }]);
  });

  it('stops alerting on node B for a device put in maintenance on node A', async () => {
    const current = a.registry.getDevice(deviceId)!;
    const patched = await api(a, 'PATCH', `/devices/${deviceId}`, { version: current.version, status: 'maintenance' });
    expect(patched.status).toBe(200);
    await waitUntil('the device in maintenance on node B', () => b.fusion.devices.get(deviceId)?.status === 'maintenance', PROPAGATION_MS);
    // maintenance cleared the active alert (it stays listed, cleared, until acknowledged)
    const active = () => b.fusion.openAlertsOf(deviceId).filter((x) => !x.cleared);
    const known = b.fusion.openAlertsOf(deviceId).map((x) => x.id);
    expect(active()).toEqual([]);
    // readings over the limits are still accepted, and raise nothing
    for (let i = 0; i < 3; i++) expect((await ingest(b, [strainReading(deviceId, token, STRAIN_BETWEEN + 100 * i)])).body.accepted).toBe(1);
    expect(b.fusion.deviceStates.get(deviceId)?.metrics.strain).toBe(STRAIN_BETWEEN + 200);
    expect(active()).toEqual([]);
    expect(b.fusion.openAlertsOf(deviceId).map((x) => x.id)).toEqual(known);
  });

  it("applies node B's own later edit on node A too (either node may be the origin)", async () => {
    const current = b.registry.getDevice(deviceId)!;
    const patched = await api(b, 'PATCH', `/devices/${deviceId}`, { version: current.version, status: 'active', name: '集群应变计 B' });
    expect(patched.status).toBe(200);
    await waitUntil('the edit made on node B in force on node A', () => a.registry.getDevice(deviceId)?.name === '集群应变计 B', PROPAGATION_MS);
    expect(a.fusion.devices.get(deviceId)?.status).toBe('active');
    expect(a.registry.getDevice(deviceId)?.version).toBe(patched.body.device.version);
  });
});
