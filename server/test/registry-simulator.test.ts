/**
 * The simulator reads its devices from the server's registry (issue 11): demo devices report with
 * their demo tokens, a device created through REST reports once the simulator holds its token, a
 * retired one stops, and `--devices N` on an empty registry registers demo devices by CSV import.
 * A real server in-process; the simulator's parts (or its whole run loop) against it.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet } from '../../scenes/fleet';
import { resolveCliConfig } from '../../mock-devices/cli-config';
import { runDrill } from '../../mock-devices/drill';
import { GatewayClient } from '../../mock-devices/gateway-client';
import { runFleet } from '../../mock-devices/main';
import { RegistryClient } from '../../mock-devices/registry-client';
import { adoptDevice, registerDemoDevices, RegistryFleetSource } from '../../mock-devices/registry-fleet';
import { readSimTokens } from '../../mock-devices/sim-tokens';
import { FleetSimulator } from '../../mock-devices/simulator';
import type { IocServer } from '../app';
import type { RegistryAsset } from '../registry/registry-schemas';
import { MemoryStore } from '../store/memory-store';
import { DEMO_PASSWORD, login, startTestServer } from './helpers';

const DEMO_FLEET = generateFleet({ count: 20, seed: 5 });
const POLL_MS = 50;
const WAIT_MS = 20_000;

/** Resolves once `check` holds (polled); fails with `what` after WAIT_MS. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-sim-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the simulator reads its devices from the registry', () => {
  let server: IocServer;
  let admin: string;
  const registryClient = () => new RegistryClient({ serverUrl: server.url, username: 'admin', password: DEMO_PASSWORD });
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  const createDevice = (id: string) => api('POST', '/devices', { id, kind: 'strain-gauge', name: `模拟应变计 ${id}`, location: [120.41, 36.16] });

  beforeAll(async () => {
    server = await startTestServer({}, { devices: DEMO_FLEET });
    admin = await login(server, 'admin');
  });
  afterAll(() => server.close());

  it('simulates the seeded demo devices with their demo tokens and leaves a device with its own token alone', async () => {
    expect((await createDevice('sim-own-1')).status).toBe(201);
    const source = new RegistryFleetSource(registryClient(), { tokensFile: join(dir, 'none.json'), log: () => {} });
    const loaded = await source.load();
    expect(loaded.fleet.map((d) => d.id)).toEqual(DEMO_FLEET.map((d) => d.id).sort());
    expect(loaded.withoutToken).toEqual(['sim-own-1']);
    expect(loaded.assets.length).toBeGreaterThan(0);

    const sim = new FleetSimulator({ fleet: loaded.fleet, assets: loaded.assets, seed: 1, rateScale: 1 });
    const gateway = new GatewayClient({ serverUrl: server.url, log: () => {}, statusIntervalMs: 0 });
    gateway.setTokens(loaded.tokens);
    const now = Date.now();
    sim.step(now - 60_000);
    gateway.enqueue(sim.step(now));
    await gateway.flush();
    const stats = gateway.stats();
    expect(stats.sent).toBeGreaterThan(0);
    expect(stats.rejected).toBe(0);
  });

  it('picks up a device created through REST once it holds its token, sends readings the server accepts, and stops a retired one', async () => {
    const tokensFile = join(dir, 'run.json');
    const logs: string[] = [];
    const cfg = resolveCliConfig(
      { server: server.url, rate: '50', 'control-port': '0', 'refresh-ms': '1000', protocol: 'http' },
      { IOC_SIM_TOKENS_FILE: tokensFile },
    );
    if (!cfg.ok) throw new Error(cfg.error.message);
    const abort = new AbortController();
    const running = runFleet(cfg.config, { handlers: false, signal: abort.signal, log: (l) => logs.push(l) });
    try {
      await until('a demo device reports', () => server.fusion.deviceStates.get(DEMO_FLEET[0]!.id) !== undefined);

      expect((await createDevice('sim-adopted-1')).status).toBe(201);
      await adoptDevice(registryClient(), 'sim-adopted-1', tokensFile);
      expect((await readSimTokens(tokensFile)).has('sim-adopted-1')).toBe(true);
      expect((await stat(tokensFile)).mode & 0o077).toBe(0);
      await until('the adopted device reports', () => server.fusion.deviceStates.get('sim-adopted-1')?.online === true);

      expect((await api('DELETE', '/devices/sim-adopted-1')).status).toBe(200);
      await until('the simulator drops the retired device', () => logs.some((l) => /registry changed: \+0 −1/.test(l)));
    } finally {
      abort.abort();
      await running;
    }
    // the only readings refused: the retired device's, sent before the simulator noticed
    for (const l of logs.filter((x) => /server rejected/.test(x))) expect(l).toContain('sim-adopted-1');
    expect(logs.some((l) => /registry changed: \+1 −0/.test(l))).toBe(true);
  });
});

describe('a standalone drill', () => {
  let server: IocServer;
  beforeAll(async () => {
    server = await startTestServer({}, { devices: generateFleet({ count: 300, seed: 5 }) });
  });
  afterAll(() => server.close());

  it("runs on the registry's devices with their tokens, and the server accepts every reading", async () => {
    const client = new RegistryClient({ serverUrl: server.url, username: 'admin', password: DEMO_PASSWORD });
    const registry = await new RegistryFleetSource(client, { tokensFile: join(dir, 'none.json'), log: () => {} }).load();
    // simulated time, ending now: readings are in the past, never in the future
    const startTs = Date.now() - 10 * 60_000;
    const result = await runDrill(server.url, 'bridge-overload', { registry, seed: 5, realTime: false, startTs, log: () => {} });
    expect(result.plan.deviceIds.length).toBeGreaterThan(0);
    for (const id of result.plan.deviceIds) expect(registry.tokens.has(id)).toBe(true);
    expect(result.stats.sent).toBeGreaterThan(0);
    expect(result.stats.accepted).toBe(result.stats.sent);
  });
});

describe('--devices N on an empty registry', () => {
  let server: IocServer;

  beforeAll(async () => {
    // a registry with the demo assets but no device
    server = await startTestServer({}, { devices: [] });
  });
  afterAll(() => server.close());

  it('registers N demo devices through the import API, keeps their tokens, and their readings are accepted', async () => {
    const tokensFile = join(dir, 'registered.json');
    const client = new RegistryClient({ serverUrl: server.url, username: 'admin', password: DEMO_PASSWORD });
    expect(await registerDemoDevices(client, { count: 30, seed: 9, tokensFile, log: () => {} })).toBe(30);
    expect(server.fusion.devices.size).toBe(30);
    expect((await readSimTokens(tokensFile)).size).toBe(30);
    // a registry that has devices is left as it is
    expect(await registerDemoDevices(client, { count: 40, seed: 9, tokensFile, log: () => {} })).toBe(0);

    const loaded = await new RegistryFleetSource(client, { tokensFile, log: () => {} }).load();
    expect(loaded.fleet).toHaveLength(30);
    const sim = new FleetSimulator({ fleet: loaded.fleet, assets: loaded.assets, seed: 9 });
    const gateway = new GatewayClient({ serverUrl: server.url, log: () => {}, statusIntervalMs: 0 });
    gateway.setTokens(loaded.tokens);
    const now = Date.now();
    sim.step(now - 120_000);
    gateway.enqueue(sim.step(now));
    await gateway.flush();
    const stats = gateway.stats();
    expect(stats.sent).toBeGreaterThan(0);
    expect(stats.accepted).toBe(stats.sent);
  });
});

describe('--devices N on a registry without the demo assets', () => {
  let server: IocServer;

  beforeAll(async () => {
    // not empty (one asset of the city's own), so the server seeds nothing
    const store = new MemoryStore();
    const ts = Date.now();
    const ownBridge: RegistryAsset = {
      id: 'own-bridge',
      version: 1,
      type: 'bridge',
      name: '自有桥',
      district: '370202',
      geometry: { type: 'Point', coordinates: [120.38, 36.07] },
      attributes: {},
      retired: false,
      createdTs: ts,
      updatedTs: ts,
      updatedBy: 'test',
    };
    await store.writeRegistry('asset', [{ record: ownBridge, expectedVersion: 0 }]);
    server = await startTestServer({}, { store });
  });
  afterAll(() => server.close());

  it('registers the demo assets the devices are mounted on first, then the devices', async () => {
    expect(server.fusion.devices.size).toBe(0);
    const client = new RegistryClient({ serverUrl: server.url, username: 'admin', password: DEMO_PASSWORD });
    const tokensFile = join(dir, 'no-assets.json');
    expect(await registerDemoDevices(client, { count: 25, seed: 3, tokensFile, log: () => {} })).toBe(25);
    const assets = server.fusion.fusedState(Date.now()).assets.map((a) => a.id);
    expect(assets).toContain('own-bridge');
    for (const d of server.fusion.devices.values()) if (d.assetId !== undefined) expect(assets).toContain(d.assetId);
  });
});
