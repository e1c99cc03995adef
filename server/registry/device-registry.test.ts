/**
 * `refresh` (issue 15): two registries on one store stand for two nodes; what one writes, the
 * other re-reads when the shared log names it, and applies as a local write would — credentials
 * in the verifier, devices and assets to the listener (told it came from the log), rules to the
 * resolver — only ever moving a record forward.
 */
import { describe, expect, it } from 'vitest';
import type { Device, Rule } from '../../scenes/domain';
import { DeviceTokenVerifier } from '../device-token';
import { MemoryStore } from '../store/memory-store';
import { DeviceRegistry, type RegistryChangeOrigin } from './device-registry';
import type { RegistryAsset } from './registry-schemas';
import { RuleRegistry } from './rule-registry';

const SECRET = 'test-device-secret';
const ADMIN = { username: 'admin' };
const STRAIN_RULE = 'bridge.strain.threshold';
const gauge = (id: string) => ({
  id,
  kind: 'strain-gauge' as const,
  name: id,
  location: [120.41, 36.16] as [number, number],
  status: 'active' as const,
});

function node(store: MemoryStore) {
  const verifier = new DeviceTokenVerifier(SECRET);
  const registry = new DeviceRegistry(store, verifier);
  const heard: { device?: Device; asset?: RegistryAsset; origin: RegistryChangeOrigin }[] = [];
  registry.attach({
    deviceChanged: (device, origin) => heard.push({ device, origin }),
    assetChanged: (asset, origin) => heard.push({ asset, origin }),
  });
  let resolve: ((d: Device) => readonly Rule[]) | null = null;
  const rules = new RuleRegistry(
    store,
    { deviceKind: (id) => registry.getDevice(id)?.kind, hasAsset: (id) => registry.getAsset(id) !== undefined },
    10,
  );
  rules.attach((r) => {
    resolve = r;
  });
  return { verifier, registry, rules, heard, rulesOf: (d: Device) => resolve!(d) };
}

describe('DeviceRegistry.refresh', () => {
  it("applies another node's new device with its credential, telling the listener it came from the log", async () => {
    const store = new MemoryStore();
    const [a, b] = [node(store), node(store)];
    const created = await a.registry.createDevice(gauge('sg-1'), ADMIN);
    if (!created.ok) throw new Error(created.error.message);
    expect(b.verifier.verify('sg-1', created.token)).toBe(false);
    await b.registry.refresh('device', ['sg-1']);
    expect(b.verifier.verify('sg-1', created.token)).toBe(true);
    expect(b.registry.getDevice('sg-1')?.version).toBe(1);
    expect(b.heard).toMatchObject([{ device: { id: 'sg-1', status: 'active' }, origin: 'log' }]);
    expect(a.heard).toMatchObject([{ device: { id: 'sg-1' }, origin: 'local' }]);
  });

  it('refuses a rotated-away token and a retired device after the refresh, and accepts the new token', async () => {
    const store = new MemoryStore();
    const [a, b] = [node(store), node(store)];
    const created = await a.registry.createDevice(gauge('sg-1'), ADMIN);
    if (!created.ok) throw new Error(created.error.message);
    await b.registry.refresh('device', ['sg-1']);
    const rotated = await a.registry.rotateToken('sg-1', undefined, ADMIN);
    if (!rotated.ok) throw new Error(rotated.error.message);
    await b.registry.refresh('device', ['sg-1']);
    expect(b.verifier.verify('sg-1', created.token)).toBe(false);
    expect(b.verifier.verify('sg-1', rotated.token)).toBe(true);
    await a.registry.retireDevice('sg-1', undefined, ADMIN);
    await b.registry.refresh('device', 'all');
    expect(b.verifier.verify('sg-1', rotated.token)).toBe(false);
    expect(b.heard.at(-1)).toMatchObject({ device: { id: 'sg-1', status: 'retired' }, origin: 'log' });
  });

  it('never moves a record back: a refresh that reads a version this node already holds tells nobody', async () => {
    const store = new MemoryStore();
    const [a, b] = [node(store), node(store)];
    await a.registry.createDevice(gauge('sg-1'), ADMIN);
    await b.registry.refresh('device', ['sg-1']);
    await b.registry.refresh('device', ['sg-1', 'unknown']);
    await a.registry.refresh('device', 'all');
    expect(b.heard).toHaveLength(1);
    expect(a.heard).toHaveLength(1);
  });

  it("applies another node's asset edits", async () => {
    const store = new MemoryStore();
    const [a, b] = [node(store), node(store)];
    const created = await a.registry.createAsset(
      { id: 'br-1', type: 'bridge', name: '桥', geometry: { type: 'Point', coordinates: [120.41, 36.16] }, attributes: {} },
      ADMIN,
    );
    if (!created.ok) throw new Error(created.error.message);
    await b.registry.refresh('asset', ['br-1']);
    expect(b.registry.getAsset('br-1')?.version).toBe(1);
    expect(b.heard).toMatchObject([{ asset: { id: 'br-1' }, origin: 'log' }]);
  });
});

describe('RuleRegistry.refresh', () => {
  it("puts another node's override in force in this node's resolver", async () => {
    const store = new MemoryStore();
    const [a, b] = [node(store), node(store)];
    await a.registry.createDevice(gauge('sg-1'), ADMIN);
    await b.registry.refresh('device', ['sg-1']);
    const device = b.registry.liveDevices().find((d) => d.id === 'sg-1')!;
    const limitsOf = (n: ReturnType<typeof node>) => (n.rulesOf(device).find((r) => r.id === STRAIN_RULE) as unknown as { limits: object }).limits;
    const put = await a.rules.putOverride(
      STRAIN_RULE,
      { type: 'device', id: 'sg-1' },
      { patch: { limits: { yellow: 100, orange: 150, red: 200 } }, expectedVersion: 0 },
      ADMIN,
    );
    expect(put.ok).toBe(true);
    expect(limitsOf(b)).not.toEqual({ yellow: 100, orange: 150, red: 200 });
    await b.rules.refresh('rule', [STRAIN_RULE]);
    expect(limitsOf(b)).toEqual({ yellow: 100, orange: 150, red: 200 });
  });
});
