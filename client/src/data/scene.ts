/**
 * Scene subscriptions: snapshot first, then ordered deltas; a revision gap re-joins for a fresh
 * snapshot; a reconnect resumes from the last applied revision (`sinceRev`), and the server
 * answers with the missed deltas or a snapshot.
 *
 * Subscriptions are shared and ref-counted per scene: the second subscriber gets the current
 * model at once, and the last unsubscribe leaves the scene only after a grace period (so the
 * playlist hopping back and forth does not churn the server).
 */
import { applySceneDelta } from '@scenes/scene-diff';
import type { SceneModel } from '@scenes/scene-model';
import type { ScreenSceneId } from '@scenes/domain';
import type { SceneDeltaMessage, SceneJoinResult, SceneSnapshotMessage } from '@scenes/protocol';
import { CLIENT_CONFIG } from '../client-config';
import { currentLiveConnection } from '../connection';
import type { LiveTransport } from '../connection';

/** What a subscriber receives on every change. */
export interface SceneUpdate {
  scene: ScreenSceneId;
  model: SceneModel;
  /** revision of `model` */
  rev: number;
  /** epoch ms (client clock) when the change arrived */
  receivedTs: number;
}

export type SceneListener = (update: SceneUpdate) => void;

export interface SceneFeedOptions {
  leaveGraceMs: number;
  joinRetryMs: number;
  maxBufferedDeltas: number;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

interface SceneEntry {
  scene: ScreenSceneId;
  listeners: Set<SceneListener>;
  model: SceneModel | null;
  /** revision of `model`; -1 before the first snapshot */
  rev: number;
  receivedTs: number;
  joining: boolean;
  /** deltas that arrived while a join was in flight, applied after it */
  buffered: SceneDeltaMessage[];
  bufferOverflow: boolean;
  leaveTimer: unknown;
  retryTimer: unknown;
  /** bumped on every join so a stale ack is ignored */
  joinSeq: number;
}

export interface SceneFeed {
  subscribeScene(scene: ScreenSceneId, onModel: SceneListener): () => void;
  /** revision currently held for `scene` (-1 = none); for diagnostics and tests */
  revisionOf(scene: ScreenSceneId): number;
  /** stop everything (tests, logout) */
  dispose(): void;
}

/** A scene feed over `transport` (the live connection, or a fake in tests). */
export function createSceneFeed(transport: LiveTransport, options: Partial<SceneFeedOptions> = {}): SceneFeed {
  const opts: SceneFeedOptions = {
    leaveGraceMs: CLIENT_CONFIG.sceneLeaveGraceMs,
    joinRetryMs: CLIENT_CONFIG.sceneJoinRetryMs,
    maxBufferedDeltas: CLIENT_CONFIG.maxBufferedDeltas,
    now: Date.now,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    ...options,
  };
  const entries = new Map<ScreenSceneId, SceneEntry>();

  const notify = (entry: SceneEntry) => {
    if (!entry.model) return;
    const update: SceneUpdate = { scene: entry.scene, model: entry.model, rev: entry.rev, receivedTs: entry.receivedTs };
    for (const l of [...entry.listeners]) l(update);
  };

  /** Apply one in-order delta; false when it does not follow the held revision (a gap). */
  const applyDelta = (entry: SceneEntry, msg: SceneDeltaMessage): 'applied' | 'duplicate' | 'gap' => {
    if (!entry.model) return 'gap';
    if (msg.rev <= entry.rev) return 'duplicate';
    if (msg.prevRev !== entry.rev) return 'gap';
    try {
      entry.model = applySceneDelta(entry.model, msg.delta);
    } catch {
      // a delta we refuse (reserved ids) is treated like a gap: ask for a clean snapshot
      return 'gap';
    }
    entry.rev = msg.rev;
    entry.receivedTs = opts.now();
    return 'applied';
  };

  const applySnapshot = (entry: SceneEntry, snap: SceneSnapshotMessage) => {
    entry.model = snap.model;
    entry.rev = snap.rev;
    entry.receivedTs = opts.now();
  };

  const join = (entry: SceneEntry, resume: boolean) => {
    if (transport.getStatus().state !== 'connected') return; // onConnect will join
    opts.clearTimer(entry.retryTimer);
    entry.retryTimer = undefined;
    entry.joining = true;
    entry.buffered = [];
    entry.bufferOverflow = false;
    const seq = ++entry.joinSeq;
    const payload = resume && entry.rev >= 0 ? { scene: entry.scene, sinceRev: entry.rev } : { scene: entry.scene };
    void transport.request('scene:join', payload).then((result: SceneJoinResult) => {
      if (entries.get(entry.scene) !== entry || seq !== entry.joinSeq) return;
      entry.joining = false;
      if (!result.ok) {
        entry.retryTimer = opts.setTimer(() => join(entry, true), opts.joinRetryMs);
        return;
      }
      let gap = entry.bufferOverflow;
      if (result.mode === 'snapshot') applySnapshot(entry, result.snapshot);
      else for (const d of result.deltas) if (!gap && applyDelta(entry, d) === 'gap') gap = true;
      for (const d of entry.buffered) if (!gap && applyDelta(entry, d) === 'gap') gap = true;
      entry.buffered = [];
      if (gap) {
        join(entry, false);
        return;
      }
      notify(entry);
    });
  };

  const onDelta = (msg: SceneDeltaMessage) => {
    const entry = entries.get(msg.scene);
    if (!entry) return;
    if (entry.joining) {
      if (entry.buffered.length >= opts.maxBufferedDeltas) entry.bufferOverflow = true;
      else entry.buffered.push(msg);
      return;
    }
    const outcome = applyDelta(entry, msg);
    if (outcome === 'applied') notify(entry);
    else if (outcome === 'gap') join(entry, false);
  };

  const onSnapshot = (snap: SceneSnapshotMessage) => {
    const entry = entries.get(snap.scene);
    if (!entry) return;
    // a pushed snapshot replaces everything, including a join in flight
    entry.joinSeq++;
    entry.joining = false;
    entry.buffered = [];
    applySnapshot(entry, snap);
    notify(entry);
  };

  const offDelta = transport.on('scene:delta', onDelta);
  const offSnapshot = transport.on('scene:snapshot', onSnapshot);
  const offConnect = transport.onConnect(({ reconnect }) => {
    for (const entry of entries.values()) join(entry, reconnect);
  });

  const leave = (entry: SceneEntry) => {
    opts.clearTimer(entry.retryTimer);
    entries.delete(entry.scene);
    if (transport.getStatus().state === 'connected') transport.send('scene:leave', { scene: entry.scene });
  };

  return {
    subscribeScene(scene, onModel) {
      let entry = entries.get(scene);
      if (!entry) {
        entry = {
          scene,
          listeners: new Set(),
          model: null,
          rev: -1,
          receivedTs: 0,
          joining: false,
          buffered: [],
          bufferOverflow: false,
          leaveTimer: undefined,
          retryTimer: undefined,
          joinSeq: 0,
        };
        entries.set(scene, entry);
        entry.listeners.add(onModel);
        join(entry, false);
      } else {
        opts.clearTimer(entry.leaveTimer);
        entry.leaveTimer = undefined;
        entry.listeners.add(onModel);
        if (entry.model) onModel({ scene, model: entry.model, rev: entry.rev, receivedTs: entry.receivedTs });
      }
      const held = entry;
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        held.listeners.delete(onModel);
        if (held.listeners.size === 0 && entries.get(scene) === held) {
          held.leaveTimer = opts.setTimer(() => {
            if (held.listeners.size === 0 && entries.get(scene) === held) leave(held);
          }, opts.leaveGraceMs);
        }
      };
    },
    revisionOf(scene) {
      return entries.get(scene)?.rev ?? -1;
    },
    dispose() {
      for (const entry of [...entries.values()]) {
        opts.clearTimer(entry.leaveTimer);
        leave(entry);
      }
      offDelta();
      offSnapshot();
      offConnect();
    },
  };
}

const feeds = new WeakMap<LiveTransport, SceneFeed>();

/** The shared feed of the page's live connection. */
export function sceneFeedFor(transport: LiveTransport): SceneFeed {
  let feed = feeds.get(transport);
  if (!feed) {
    feed = createSceneFeed(transport);
    feeds.set(transport, feed);
  }
  return feed;
}

/**
 * Subscribe to `scene` on the page's live connection; returns the unsubscribe.
 * Without a connection (not signed in) it does nothing and returns a no-op.
 */
export function subscribeScene(scene: ScreenSceneId, onModel: SceneListener): () => void {
  const conn = currentLiveConnection();
  if (!conn) return () => {};
  return sceneFeedFor(conn).subscribeScene(scene, onModel);
}
