/**
 * Assets as data on screen (issue 11): the scene builders take bridges, rivers, shelters… from the
 * registry through fusion, and an edit through `/api/assets` shows in the scene without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QINGDAO_ASSETS, QINGDAO_RESOURCES } from '../../scenes/city/qingdao';
import type { SceneSnapshotMessage } from '../../scenes/protocol';
import type { AssetItem, ResourceItem } from '../../scenes/scene-model';
import type { ScreenSceneId } from '../../scenes/domain';
import type { IocServer } from '../app';
import { AssetBook, sceneAssetOf } from '../fusion/asset-book';
import type { RegistryAsset } from '../registry/registry-schemas';
import { login, startTestServer } from './helpers';

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('AssetBook', () => {
  const record = (over: Partial<RegistryAsset>): RegistryAsset => ({
    id: 'river-x',
    version: 1,
    type: 'river',
    name: '测试河',
    district: '370212',
    geometry: {
      type: 'LineString',
      coordinates: [
        [120.4, 36.1],
        [120.41, 36.11],
      ],
    },
    attributes: { warningLevelM: 3, guaranteeLevelM: 4 },
    retired: false,
    createdTs: 1,
    updatedTs: 1,
    updatedBy: 'admin',
    ...over,
  });

  it('publishes the same arrays until an asset changes, then new ones', () => {
    const book = new AssetBook();
    book.put(record({}));
    const a = book.publish();
    expect(book.publish()).toBe(a);
    expect(book.put(record({ attributes: { warningLevelM: 3.2, guaranteeLevelM: 4 }, version: 2 }))).toEqual(['water', 'water']);
    const b = book.publish();
    expect(b.assets).not.toBe(a.assets);
    expect(b.assets[0]!.props.warningLevelM).toBe(3.2);
  });

  it('takes a retired record off the screens and files resources apart from assets', () => {
    const book = new AssetBook();
    book.put(record({}));
    book.put(record({ id: 'shelter-x', type: 'shelter', geometry: { type: 'Point', coordinates: [120.4, 36.1] }, attributes: { capacity: 300 } }));
    expect(book.publish().resources).toEqual([
      {
        id: 'shelter-x',
        kind: 'shelter',
        name: '测试河',
        nameEn: '测试河',
        district: '370212',
        location: [120.4, 36.1],
        capacity: 300,
        available: 300,
      },
    ]);
    expect(book.put(record({ retired: true, version: 2 }))).toEqual(['water']);
    expect(book.publish().assets).toEqual([]);
  });

  it('gives a record without a scene the scene of its kind', () => {
    const r = sceneAssetOf(record({ id: 'well-x', type: 'pipe-well', geometry: { type: 'Point', coordinates: [120.4, 36.1] }, attributes: {} }));
    expect(r.kind === 'asset' && r.asset.scene).toBe('emergency');
  });
});

describe('assets from the registry on screen', () => {
  let server: IocServer;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer();
    admin = await login(server, 'admin');
  });
  afterAll(() => server.close());

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  const snapshot = async (scene: ScreenSceneId) => (await api('GET', `/scenes/${scene}`)).body as SceneSnapshotMessage;
  const assetOn = async (scene: ScreenSceneId, id: string) => (await snapshot(scene)).model.assets.find((a: AssetItem) => a.id === id);

  it('shows the seeded demo assets and resources exactly as the Qingdao constants', () => {
    const state = server.fusion.fusedState(Date.now());
    expect(state.assets).toEqual([...QINGDAO_ASSETS].sort(byId));
    expect(state.resources).toEqual([...QINGDAO_RESOURCES].sort(byId));
  });

  it('shows an asset created through POST /api/assets in the scene snapshot without a restart', async () => {
    expect(await assetOn('water', 'pump-test-new')).toBeUndefined();
    const created = await api('POST', '/assets', {
      id: 'pump-test-new',
      type: 'pump-station',
      name: '测试泵站',
      nameEn: 'Test pump station',
      geometry: { type: 'Point', coordinates: [120.41, 36.1] },
      attributes: { capacityM3PerS: 2 },
    });
    expect(created.status).toBe(201);
    const item = await assetOn('water', 'pump-test-new');
    expect(item).toMatchObject({ kind: 'pump-station', name: '测试泵站', props: { capacityM3PerS: 2 } });
    expect(await assetOn('overview', 'pump-test-new')).toBeDefined();
  });

  it("shows a river's edited warning level in the water scene", async () => {
    const river = QINGDAO_ASSETS.find((a) => a.kind === 'river')!;
    await snapshot('water'); // built once before the edit, so the edit must invalidate it
    const current = (await api('GET', `/assets/${river.id}`)).body.asset as RegistryAsset;
    const warning = Number(current.attributes.warningLevelM) - 0.25;
    const patched = await api('PATCH', `/assets/${river.id}`, {
      version: current.version,
      attributes: { ...current.attributes, warningLevelM: warning },
    });
    expect(patched.status).toBe(200);
    expect((await assetOn('water', river.id))?.props.warningLevelM).toBe(warning);
  });

  it("shows a shelter's edited capacity in the emergency scene, and a retired asset no more", async () => {
    const shelter = QINGDAO_RESOURCES.find((r) => r.kind === 'shelter')!;
    await snapshot('emergency');
    const current = (await api('GET', `/assets/${shelter.id}`)).body.asset as RegistryAsset;
    const capacity = shelter.capacity + 1000;
    const patched = await api('PATCH', `/assets/${shelter.id}`, { version: current.version, attributes: { ...current.attributes, capacity } });
    expect(patched.status).toBe(200);
    const resources = (await snapshot('emergency')).model.resources as ResourceItem[];
    expect(resources.find((r) => r.id === shelter.id)?.capacity).toBe(capacity);

    const retired = await api('DELETE', '/assets/pump-test-new');
    expect(retired.status).toBe(200);
    expect(await assetOn('water', 'pump-test-new')).toBeUndefined();
  });
});

describe('assets on screen after a restart (Redis)', async () => {
  const { startRedisServer } = await import('../../tests/helpers/redis-server');
  const { RedisStore } = await import('../store/redis-store');
  const redis = await startRedisServer();
  afterAll(async () => {
    await redis?.stop();
  });

  it.skipIf(redis === null)('shows the edited and the new assets from the store, not the demo constants', async () => {
    const prefix = `assets-${process.pid}-${Date.now()}`;
    const first = await startTestServer({}, { store: new RedisStore(redis!.url, { prefix }) });
    let second: IocServer | undefined;
    try {
      const token = await login(first, 'admin');
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${first.url}/api${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
      const bridge = QINGDAO_ASSETS.find((a) => a.kind === 'bridge')!;
      const current = (await call('GET', `/assets/${bridge.id}`)).body.asset as RegistryAsset;
      expect((await call('PATCH', `/assets/${bridge.id}`, { version: current.version, name: '改名的桥' })).status).toBe(200);
      const created = await call('POST', '/assets', {
        id: 'shelter-redis-1',
        type: 'shelter',
        name: '新避难场所',
        geometry: { type: 'Point', coordinates: [120.4, 36.1] },
        attributes: { capacity: 800 },
      });
      expect(created.status).toBe(201);
      await first.close();

      second = await startTestServer({}, { store: new RedisStore(redis!.url, { prefix }) });
      const state = second.fusion.fusedState(Date.now());
      expect(state.assets.find((a) => a.id === bridge.id)?.name).toBe('改名的桥');
      expect(state.resources.find((r) => r.id === 'shelter-redis-1')).toMatchObject({ kind: 'shelter', capacity: 800, available: 800 });
      const bridgeScene = second.realtime.hub.snapshot('bridge').model;
      expect(bridgeScene.assets.find((a) => a.id === bridge.id)?.name).toBe('改名的桥');
    } finally {
      await first.close();
      await second?.close();
    }
  });
});
