/**
 * Scene subscriptions: snapshot first, then ordered deltas; a revision gap re-joins for a fresh
 * snapshot; a reconnect resumes from the last applied revision (`sinceRev`), and the server
 * answers with the missed deltas or a snapshot.
 *
 * Subscriptions are shared and ref-counted per view — a scene, or a scene drilled into one
 * district (issue 17; the server builds that view from the viewer's scope narrowed to the
 * district): the second subscriber gets the current model at once, and the last unsubscribe
 * leaves the view only after a grace period (so the playlist hopping back and forth does not
 * churn the server). Frames name their view (`district`), so a city view and a drilled view of
 * one scene (e.g. the wall's red-alert watcher and the drilled overview) never mix.
 */
import { applySceneDelta } from '@scenes/scene-diff';
import type { SceneModel } from '@scenes/scene-model';
import type { DistrictCode, ScreenSceneId } from '@scenes/domain';
import type { IocError, SceneDeltaMessage, SceneJoinResult, SceneSnapshotMessage } from '@scenes/protocol';
import { CLIENT_CONFIG } from '../client-config';
import { currentLiveConnection } from '../connection';
import type { LiveTransport } from '../connection';

/** What a subscriber receives on every change. */
export interface SceneUpdate {
  scene: ScreenSceneId;
  /** the drilled district of the view; undefined = the viewer's whole scope */
  district: DistrictCode | undefined;
  model: SceneModel;
  /** revision of `model` */
  rev: number;
  /** epoch ms (client clock) when the change arrived */
  receivedTs: number;
}

export type SceneListener = (update: SceneUpdate) => void;

/** What a view is: a scene, optionally drilled into one district. */
export interface SceneViewOptions {
  district?: DistrictCode | undefined;
  /**
   * Told when the server refuses the view for good (a district outside the viewer's scope:
   * E_FORBIDDEN; not a district: E_VALIDATION) — such a join is not retried.
   */
  onRefused?: (error: IocError) => void;
}

/** Join refusals that a retry cannot cure. */
const FINAL_REFUSALS: ReadonlySet<string> = new Set(['E_FORBIDDEN', 'E_VALIDATION']);

/** The feed's key of a view. */
function viewKey(scene: ScreenSceneId, district: DistrictCode | undefined): string {
  return district === undefined ? scene : `${scene}@${district}`;
}

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
  district: DistrictCode | undefined;
  key: string;
  listeners: Set<SceneListener>;
  refusedListeners: Set<(error: IocError) => void>;
  /** the server refused this view for good; no more joins */
  refused: IocError | null;
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
  subscribeScene(scene: ScreenSceneId, onModel: SceneListener, view?: SceneViewOptions): () => void;
  /** revision currently held for `scene` (drilled into `district`) (-1 = none); for diagnostics and tests */
  revisionOf(scene: ScreenSceneId, district?: DistrictCode): number;
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
  /** by view key */
  const entries = new Map<string, SceneEntry>();

  const notify = (entry: SceneEntry) => {
    if (!entry.model) return;
    const update: SceneUpdate = { scene: entry.scene, district: entry.district, model: entry.model, rev: entry.rev, receivedTs: entry.receivedTs };
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
    if (entry.refused) return;
    if (transport.getStatus().state !== 'connected') return; // onConnect will join
    opts.clearTimer(entry.retryTimer);
    entry.retryTimer = undefined;
    entry.joining = true;
    entry.buffered = [];
    entry.bufferOverflow = false;
    const seq = ++entry.joinSeq;
    // the district travels with every join, reconnects included: a resumed revision is the view's
    const payload = {
      scene: entry.scene,
      ...(entry.district !== undefined ? { district: entry.district } : {}),
      ...(resume && entry.rev >= 0 ? { sinceRev: entry.rev } : {}),
    };
    void transport.request('scene:join', payload).then((result: SceneJoinResult) => {
      if (entries.get(entry.key) !== entry || seq !== entry.joinSeq) return;
      entry.joining = false;
      if (!result.ok) {
        if (entry.district !== undefined && FINAL_REFUSALS.has(result.error.code)) {
          entry.refused = result.error;
          for (const l of [...entry.refusedListeners]) l(result.error);
          return;
        }
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
    const entry = entries.get(viewKey(msg.scene, msg.district));
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
    const entry = entries.get(viewKey(snap.scene, snap.district));
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
    entries.delete(entry.key);
    if (transport.getStatus().state === 'connected' && !entry.refused)
      transport.send('scene:leave', { scene: entry.scene, ...(entry.district !== undefined ? { district: entry.district } : {}) });
  };

  return {
    subscribeScene(scene, onModel, view = {}) {
      const district = view.district;
      const key = viewKey(scene, district);
      const onRefused = view.onRefused;
      let entry = entries.get(key);
      if (!entry) {
        entry = {
          scene,
          district,
          key,
          listeners: new Set(),
          refusedListeners: new Set(onRefused ? [onRefused] : []),
          refused: null,
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
        entries.set(key, entry);
        entry.listeners.add(onModel);
        join(entry, false);
      } else {
        opts.clearTimer(entry.leaveTimer);
        entry.leaveTimer = undefined;
        entry.listeners.add(onModel);
        if (onRefused) entry.refusedListeners.add(onRefused);
        if (entry.model) onModel({ scene, district, model: entry.model, rev: entry.rev, receivedTs: entry.receivedTs });
        if (entry.refused) onRefused?.(entry.refused);
      }
      const held = entry;
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        held.listeners.delete(onModel);
        if (onRefused) held.refusedListeners.delete(onRefused);
        if (held.listeners.size === 0 && entries.get(key) === held) {
          // a refused view holds nothing on the server: forget it now, so a later try asks again
          if (held.refused) entries.delete(key);
          else
            held.leaveTimer = opts.setTimer(() => {
              if (held.listeners.size === 0 && entries.get(key) === held) leave(held);
            }, opts.leaveGraceMs);
        }
      };
    },
    revisionOf(scene, district) {
      return entries.get(viewKey(scene, district))?.rev ?? -1;
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
 * Subscribe to `scene` (drilled into `view.district`, when given) on the page's live connection;
 * returns the unsubscribe. Without a connection (not signed in) it does nothing and returns a no-op.
 */
export function subscribeScene(scene: ScreenSceneId, onModel: SceneListener, view?: SceneViewOptions): () => void {
  const conn = currentLiveConnection();
  if (!conn) return () => {};
  return sceneFeedFor(conn).subscribeScene(scene, onModel, view);
}
