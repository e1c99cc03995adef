import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { SceneModel, DevicePoint } from '@scenes/scene-model';
import type { SceneDeltaMessage } from '@scenes/protocol';
import { createSceneFeed } from './scene';
import type { SceneUpdate } from './scene';
import { createFakeTransport } from './fake-transport';
import { useSceneStore } from '../stores/scene-store';
import { sceneModelFixture } from '@scenes/scene-model.fixture';

const device = (id: string, s: DevicePoint['s'] = 'normal'): DevicePoint => ({ id, kind: 'strain-gauge', p: [120.3, 36.1], s });

function model(devices: DevicePoint[] = [device('d1')]): SceneModel {
  return sceneModelFixture({ scene: 'bridge', devices });
}

const delta = (prevRev: number, rev: number, id: string): SceneDeltaMessage => ({
  scene: 'bridge',
  prevRev,
  rev,
  delta: { generatedTs: rev, devices: { put: [device(id, 'red')] } },
});

const flush = () => new Promise((r) => setTimeout(r, 0));

/** manual timers so the grace period is tested without waiting */
function manualTimers() {
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    timers,
    setTimer: (fn: () => void, ms: number) => {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h: unknown) => {
      if (h) (h as { cancelled: boolean }).cancelled = true;
    },
    runAll() {
      for (const t of timers.splice(0)) if (!t.cancelled) t.fn();
    },
  };
}

describe('scene feed', () => {
  it('joins on subscribe and delivers the snapshot, then in-order deltas', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const updates: SceneUpdate[] = [];
    feed.subscribeScene('bridge', (u) => updates.push(u));
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0].payload).toEqual({ scene: 'bridge' });
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 5, model: model() } });
    await flush();
    expect(updates.at(-1)?.rev).toBe(5);
    fake.emitServer('scene:delta', delta(5, 6, 'd2'));
    expect(updates.at(-1)?.rev).toBe(6);
    expect(updates.at(-1)?.model.devices.map((d) => d.id)).toEqual(['d1', 'd2']);
  });

  it('re-joins for a fresh snapshot when a delta does not follow the held revision', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const updates: SceneUpdate[] = [];
    feed.subscribeScene('bridge', (u) => updates.push(u));
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 5, model: model() } });
    await flush();
    fake.emitServer('scene:delta', delta(7, 8, 'dX'));
    expect(updates.at(-1)?.rev).toBe(5); // the gapped delta is not applied
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].payload).toEqual({ scene: 'bridge' }); // no sinceRev: full snapshot
    fake.requests[1].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 8, model: model([device('d9')]) } });
    await flush();
    expect(updates.at(-1)?.rev).toBe(8);
    expect(feed.revisionOf('bridge')).toBe(8);
  });

  it('ignores duplicate deltas it already applied', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const updates: SceneUpdate[] = [];
    feed.subscribeScene('bridge', (u) => updates.push(u));
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 5, model: model() } });
    await flush();
    fake.emitServer('scene:delta', delta(4, 5, 'old'));
    expect(updates).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
  });

  it('applies deltas that arrive while the join is in flight after the snapshot', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const updates: SceneUpdate[] = [];
    feed.subscribeScene('bridge', (u) => updates.push(u));
    fake.emitServer('scene:delta', delta(4, 5, 'early')); // older than the snapshot: dropped
    fake.emitServer('scene:delta', delta(5, 6, 'd2'));
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 5, model: model() } });
    await flush();
    expect(updates.at(-1)?.rev).toBe(6);
    expect(updates.at(-1)?.model.devices.map((d) => d.id)).toEqual(['d1', 'd2']);
  });

  it('resumes with sinceRev after a reconnect and applies the missed deltas', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const updates: SceneUpdate[] = [];
    feed.subscribeScene('bridge', (u) => updates.push(u));
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 5, model: model() } });
    await flush();
    fake.disconnect();
    fake.connect(true);
    expect(fake.requests[1].payload).toEqual({ scene: 'bridge', sinceRev: 5 });
    fake.requests[1].resolve({ ok: true, mode: 'deltas', deltas: [delta(5, 6, 'a'), delta(6, 7, 'b')] });
    await flush();
    expect(updates.at(-1)?.rev).toBe(7);
    expect(updates.at(-1)?.model.devices).toHaveLength(3);
  });

  it('shares one server subscription between subscribers and leaves only after the grace period', async () => {
    const fake = createFakeTransport();
    const timers = manualTimers();
    const feed = createSceneFeed(fake, { setTimer: timers.setTimer, clearTimer: timers.clearTimer });
    const a: SceneUpdate[] = [];
    const b: SceneUpdate[] = [];
    const offA = feed.subscribeScene('bridge', (u) => a.push(u));
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 1, model: model() } });
    await flush();
    const offB = feed.subscribeScene('bridge', (u) => b.push(u));
    expect(fake.requests).toHaveLength(1);
    expect(b).toHaveLength(1); // late subscriber gets the current model at once
    offA();
    offB();
    expect(fake.sent).toHaveLength(0);
    timers.runAll();
    expect(fake.sent).toEqual([{ event: 'scene:leave', payload: { scene: 'bridge' } }]);
  });

  it('keeps the device array identity when a delta does not touch devices', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const updates: SceneUpdate[] = [];
    feed.subscribeScene('bridge', (u) => updates.push(u));
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 1, model: model() } });
    await flush();
    fake.emitServer('scene:delta', { scene: 'bridge', prevRev: 1, rev: 2, delta: { generatedTs: 2, kpis: [] } });
    expect(updates[1].model.devices).toBe(updates[0].model.devices);
  });
});

describe('useSceneStore', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('holds the model, revision and receive time the feed delivers, and resyncs on a gap', async () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake, { now: () => 1234 });
    const store = useSceneStore();
    store.show('bridge', feed.subscribeScene);
    fake.requests[0].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 3, model: model() } });
    await flush();
    expect(store.$state.rev).toBe(3);
    expect(store.$state.receivedTs).toBe(1234);
    expect(store.model?.devices).toHaveLength(1);
    fake.emitServer('scene:delta', delta(9, 10, 'gap'));
    expect(fake.requests).toHaveLength(2);
    expect(store.rev).toBe(3);
    fake.requests[1].resolve({ ok: true, mode: 'snapshot', snapshot: { scene: 'bridge', rev: 10, model: model([device('x'), device('y')]) } });
    await flush();
    expect(store.rev).toBe(10);
    expect(store.model?.devices).toHaveLength(2);
  });

  it('switching scenes drops the old model so a screen never shows another scene’s data', () => {
    const fake = createFakeTransport();
    const feed = createSceneFeed(fake);
    const store = useSceneStore();
    store.show('bridge', feed.subscribeScene);
    store.show('water', feed.subscribeScene);
    expect(store.scene).toBe('water');
    expect(store.model).toBeNull();
    expect(fake.requests.map((r) => r.payload)).toEqual([{ scene: 'bridge' }, { scene: 'water' }]);
  });
});
