import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { DevicePoint, SceneModel } from '@scenes/scene-model';
import type { SceneDeltaMessage } from '@scenes/protocol';
import { createSceneFeed } from './scene';
import type { SceneUpdate } from './scene';
import { createFakeTransport } from './fake-transport';
import { useSceneStore } from '../stores/scene-store';
import { sceneModelFixture } from '@scenes/scene-model.fixture';

const device = (id: string): DevicePoint => ({ id, kind: 'water-level', p: [120.36, 36.09], s: 'normal' });
const model = (ids: string[]): SceneModel => sceneModelFixture({ scene: 'water', devices: ids.map(device) });
const flush = () => new Promise((r) => setTimeout(r, 0));
const delta = (prevRev: number, rev: number, id: string, district?: '370203'): SceneDeltaMessage => ({
  scene: 'water',
  ...(district ? { district } : {}),
  prevRev,
  rev,
  delta: { generatedTs: rev, devices: { put: [device(id)] } },
});

describe('scene feed: a view drilled into a district', () => {
  it('joins with the district, and routes frames by their view, never mixing city and district', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const city: SceneUpdate[] = [];
    const drilled: SceneUpdate[] = [];
    feed.subscribeScene('water', (u) => city.push(u));
    feed.subscribeScene('water', (u) => drilled.push(u), { district: '370203' });
    expect(fake.requests.map((r) => r.payload)).toEqual([{ scene: 'water' }, { scene: 'water', district: '370203' }]);
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'water', rev: 10, model: model(['c1', 'c2']) } });
    fake.requests[1].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'water', district: '370203', rev: 50, model: model(['d1']) } });
    await flush();
    fake.emitServer('scene:delta', delta(50, 51, 'd2', '370203'));
    fake.emitServer('scene:delta', delta(10, 11, 'c3'));
    expect(drilled.at(-1)?.rev).toBe(51);
    expect(drilled.at(-1)?.district).toBe('370203');
    expect(drilled.at(-1)?.model.devices.map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(city.at(-1)?.rev).toBe(11);
    expect(city.at(-1)?.model.devices.map((d) => d.id)).toEqual(['c1', 'c2', 'c3']);
    expect(fake.requests).toHaveLength(2); // no gap seen by either view
  });

  it('carries the district on a reconnect, resuming the drilled view’s own revision', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    feed.subscribeScene('water', () => {}, { district: '370203' });
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'water', district: '370203', rev: 7, model: model(['d1']) } });
    await flush();
    fake.disconnect();
    fake.connect(true);
    expect(fake.requests[1].payload).toEqual({ scene: 'water', district: '370203', sinceRev: 7 });
    expect(feed.revisionOf('water', '370203')).toBe(7);
    expect(feed.revisionOf('water')).toBe(-1);
  });

  it('leaves the drilled view with its district', () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake, { setTimer: (fn) => (fn(), 0), clearTimer: () => {} });
    const off = feed.subscribeScene('water', () => {}, { district: '370203' });
    off();
    expect(fake.sent).toEqual([{ event: 'scene:leave', payload: { scene: 'water', district: '370203' } }]);
  });

  it('does not retry a district the server refuses, and tells the subscriber why', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake, { setTimer: (fn) => (fn(), 0), clearTimer: () => {} });
    const refusals: string[] = [];
    feed.subscribeScene('water', () => {}, { district: '370212', onRefused: (e) => refusals.push(e.code) });
    fake.requests[0].resolve({ ok: false, error: { code: 'E_FORBIDDEN', message: 'outside your data scope' } });
    await flush();
    expect(refusals).toEqual(['E_FORBIDDEN']);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('useSceneStore with a district', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('re-subscribes when only the district changes, and drops the other view’s model', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const store = useSceneStore();
    store.show('water', feed.subscribeScene);
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'water', rev: 1, model: model(['c1', 'c2']) } });
    await flush();
    expect(store.model?.devices).toHaveLength(2);
    store.show('water', feed.subscribeScene, '370203');
    expect(store.district).toBe('370203');
    expect(store.model).toBeNull();
    expect(fake.requests[1].payload).toEqual({ scene: 'water', district: '370203' });
    fake.requests[1].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'water', district: '370203', rev: 2, model: model(['d1']) } });
    await flush();
    expect(store.model?.devices.map((d) => d.id)).toEqual(['d1']);
    store.show('water', feed.subscribeScene, '370203'); // same view: nothing new
    expect(fake.requests).toHaveLength(2);
  });

  it('shows the refusal of a district outside the viewer’s scope', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const store = useSceneStore();
    store.show('water', feed.subscribeScene, '370212');
    fake.requests[0].resolve({ ok: false, error: { code: 'E_FORBIDDEN', message: 'outside' } });
    await flush();
    expect(store.refused?.code).toBe('E_FORBIDDEN');
    expect(store.model).toBeNull();
  });
});
