/**
 * Scene channels: one per screen scene, each with a revision counter, the last model sent and a
 * bounded history of deltas so reconnecting clients resume without a full snapshot.
 *
 * Coalescing: telemetry only marks scenes dirty; a timer builds and sends at most one frame per
 * scene per `coalesceIntervalMs` (a screen never gets more than 1000/coalesceIntervalMs telemetry
 * frames per second). Alerts and incident changes call `flushSoon()` and go out at once.
 * Under a fan-out too heavy for the event loop (thousands of screens on one node) the interval
 * stretches up to `pacing.maxIntervalMs` (server/frame-pacing.ts): fewer telemetry frames, each
 * with every change, rather than a loop so full of socket writes that every frame comes late.
 * A frame is encoded once per room by Socket.IO's broadcast, not once per client.
 *
 * Data scope (issue 12, scenes/scope.ts): a channel is one scene as seen by one scope. Whole-city
 * viewers share today's channel and room `scene:<scene>`; officers and leaders limited to
 * districts share `scene:<scene>|<scopeKey>` with everyone of the same scope. A scoped channel is
 * built from the scoped fused state, and only while somebody watches it.
 *
 * District drill-down (issue 17, scenes/drill-scope.ts): a view of one district has its own
 * channel and room `scene:<scene>@<district>`, built from the viewer's scope narrowed to that
 * district, and its frames carry `district` — one socket may watch a scene's city view (e.g. the
 * red-alert watcher) and a drilled view at once, and tells their frames apart by it.
 */
import { SCREEN_SCENE_IDS, type DistrictCode, type ScreenSceneId } from '../scenes/domain';
import type { FusedState, SceneModel } from '../scenes/scene-model';
import { isWholeCity, scopeFusedState, scopeKey, WHOLE_CITY, type DataScope } from '../scenes/scope';
import type { SceneDeltaMessage, SceneJoinResult, SceneSnapshotMessage } from '../scenes/protocol';
import { SCENE_BUILDERS } from '../scenes/builders/index';
import { diffScene } from '../scenes/scene-diff';
import type { Fusion } from './fusion';
import { encodeOnce } from './socket-encoder';
import { FramePacer, type FramePacingOptions } from './frame-pacing';

interface Channel {
  scene: ScreenSceneId;
  scope: DataScope;
  /** the drilled district of this view (its scope is narrowed to it); undefined = the scope's whole view */
  district: DistrictCode | undefined;
  /** the Socket.IO room of its watchers */
  room: string;
  /**
   * fusion marked the scene dirty since this channel's model was built: dirtiness is taken from
   * fusion once per scene and handed to every channel of the scene, each rebuilt on its own turn
   */
  stale: boolean;
  rev: number;
  model: SceneModel | null;
  history: SceneDeltaMessage[];
  /** when each history entry was made (same order), for the age bound */
  historyTs: number[];
  /** the snapshot answer for `rev`, shared by every screen joining at that revision */
  snapshotAnswer: { rev: number; answer: SceneJoinResult } | null;
}

export interface SceneSink {
  /** number of clients currently in a channel's room */
  watchers(room: string): number;
  emitDelta(msg: SceneDeltaMessage, room: string): void;
}

export interface SceneHubOptions {
  coalesceIntervalMs: number;
  /** deltas kept per scene for resuming clients, at most this many… */
  deltaHistoryPerScene: number;
  /**
   * …and none older than this, ms. A quiet scene (a delta every few seconds) would otherwise
   * keep its last 200 deltas, each with whole charts, for many minutes — memory that fills for
   * half an hour and buys nothing: a client away that long resumes cheaper from a snapshot.
   */
  deltaHistoryMaxAgeMs: number;
  /**
   * Issue 15, several nodes: this node's revision lane. Revisions are `ms × lanes + lane` at a
   * channel's start and step by `lanes`, so two live nodes (distinct lanes, held by a lease) never
   * issue the same number and a client resuming on another node with a revision of the first gets
   * a snapshot, never another node's delta. Default one lane: `lane 0 of 1`.
   */
  revisionLane?: { lane: number; lanes: number };
  /** telemetry frame pacing (server/frame-pacing.ts); absent = never slower than coalesceIntervalMs */
  pacing?: Omit<FramePacingOptions, 'baseIntervalMs'>;
  /** the paced interval changed (for the log) */
  onPacingChanged?(intervalMs: number, share: number): void;
  now?: () => number;
  /** the monotonic clock a paced flush's cost is measured with, ms (default performance.now) */
  busyClock?: () => number;
}

export interface SceneHubStats {
  frames: number;
  builds: number;
  buildMsTotal: number;
  /** the telemetry coalescing interval now in force (coalesceIntervalMs unless paced), ms */
  frameIntervalMs: number;
}

/** How often per coalescing interval the timer checks whether a tick is due. */
const TICK_CHECKS_PER_INTERVAL = 5;

/**
 * The room of a scene as seen by a scope: whole-city viewers share `scene:<scene>`; a view
 * drilled into a district is `scene:<scene>@<district>` whoever drills (its narrowed scope is
 * that district alone).
 */
export function sceneRoom(scene: ScreenSceneId, scope: DataScope = WHOLE_CITY, district?: DistrictCode): string {
  if (district !== undefined) return `scene:${scene}@${district}`;
  return isWholeCity(scope) ? `scene:${scene}` : `scene:${scene}|${scopeKey(scope)}`;
}

export class SceneHub {
  /** by room; a scoped channel stays (without its model) once nobody watches, so revisions keep rising */
  private readonly channels = new Map<string, Channel>();
  private readonly epochRev: number;
  /** the revision step: the number of lanes (1 on a single node) */
  private readonly revStep: number;
  private revLane: number;
  private timer: NodeJS.Timeout | null = null;
  private urgentQueued = false;
  private lastTickTs = 0;
  private stopped = false;
  /** scenes with an urgent change waiting for the immediate flush */
  private readonly urgent = new Set<ScreenSceneId>();
  private readonly now: () => number;
  /** what a paced flush's cost is measured with (SceneHubOptions.busyClock) */
  private readonly busyClock: () => number;
  readonly stats: SceneHubStats;
  private readonly pacer: FramePacer;

  constructor(
    private readonly fusion: Fusion,
    private readonly sink: SceneSink,
    private readonly opts: SceneHubOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.busyClock = opts.busyClock ?? (() => performance.now());
    const base = opts.coalesceIntervalMs;
    this.pacer = new FramePacer({ baseIntervalMs: base, maxIntervalMs: base, targetShare: 1, windowMs: base, ...opts.pacing }, this.now());
    this.stats = { frames: 0, builds: 0, buildMsTotal: 0, frameIntervalMs: base };
    // revisions start at the clock so a client resuming with a revision from a previous server
    // process can never match a revision of this one by accident
    this.revStep = opts.revisionLane?.lanes ?? 1;
    this.revLane = opts.revisionLane?.lane ?? 0;
    if (!Number.isInteger(this.revStep) || this.revStep < 1 || !Number.isInteger(this.revLane) || this.revLane < 0 || this.revLane >= this.revStep)
      throw new RangeError(`invalid revision lane ${this.revLane} of ${this.revStep}`);
    this.epochRev = this.laneRev(this.now());
    for (const scene of SCREEN_SCENE_IDS) this.channel(scene, WHOLE_CITY);
  }

  /**
   * The revision at `ms` in this node's lane. A channel steps less than once per ms, so a later
   * process (or a channel made later) always starts above every revision issued before it.
   */
  private laneRev(ms: number): number {
    return ms * this.revStep + this.revLane;
  }

  /**
   * Issue 15: this node moved to another revision lane (it lost its own). Every channel restarts
   * at a fresh revision of the new lane with no history: its clients see a gap and re-join with a
   * snapshot, never a delta numbered like one another node issued.
   */
  setRevisionLane(lane: number): void {
    if (!Number.isInteger(lane) || lane < 0 || lane >= this.revStep) throw new RangeError(`invalid revision lane ${lane} of ${this.revStep}`);
    this.revLane = lane;
    const fresh = this.laneRev(this.now());
    for (const ch of this.channels.values()) {
      ch.rev = fresh;
      ch.history = [];
      ch.historyTs = [];
      ch.snapshotAnswer = null;
    }
  }

  /** The channel of a scene as seen by a scope (narrowed to `district` when drilled), made on first use. */
  private channel(scene: ScreenSceneId, scope: DataScope, district?: DistrictCode): Channel {
    const room = sceneRoom(scene, scope, district);
    let ch = this.channels.get(room);
    if (!ch) {
      ch = {
        scene,
        scope,
        district,
        room,
        stale: false,
        rev: Math.max(this.epochRev, this.laneRev(this.now())),
        model: null,
        history: [],
        historyTs: [],
        snapshotAnswer: null,
      };
      this.channels.set(room, ch);
    }
    return ch;
  }

  /** Takes fusion's dirty scenes (only those among `only`, when given) and marks their channels stale. */
  private takeDirty(only?: readonly ScreenSceneId[]): number {
    const dirty = this.fusion.takeDirtyScenes(only);
    if (dirty.length === 0) return 0;
    for (const ch of this.channels.values()) if (dirty.includes(ch.scene)) ch.stale = true;
    return dirty.length;
  }

  start(): void {
    if (this.timer) return;
    // checked 5× per interval so a tick is due at most ~interval/5 late, and never early
    this.timer = setInterval(() => this.flushIfDue(), Math.max(10, Math.round(this.opts.coalesceIntervalMs / TICK_CHECKS_PER_INTERVAL)));
    this.timer.unref();
  }

  /**
   * The coalescing tick, also called by ingest after every fused batch: under load the event
   * loop runs several queued batches back to back before any timer fires, and telemetry frames
   * would wait behind all of them. Ticks are at least coalesceIntervalMs apart either way (more
   * while paced: the time each takes is what the pacer judges).
   */
  flushIfDue(): void {
    if (!this.timer || this.stopped) return;
    const now = this.now();
    if (now - this.lastTickTs < this.pacer.intervalMs) return;
    this.lastTickTs = now;
    const t0 = this.busyClock();
    this.flush();
    if (this.pacer.record(this.busyClock() - t0, this.now())) {
      this.stats.frameIntervalMs = this.pacer.intervalMs;
      this.opts.onPacingChanged?.(this.pacer.intervalMs, this.pacer.lastShare);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
  }

  /**
   * Alerts and incident transitions: send the scenes they touch now rather than at the next
   * coalescing tick. Only those scenes are built in the immediate flush — other scenes with mere
   * telemetry changes wait for their tick, so an alarm never waits behind unrelated builds.
   */
  flushSoon(scenes: Iterable<ScreenSceneId>): void {
    for (const s of scenes) this.urgent.add(s);
    if (this.urgentQueued) return;
    this.urgentQueued = true;
    // a microtask, not setImmediate: it runs as soon as the current handler yields, before other
    // queued requests (e.g. the next 1000-reading batches) get the event loop — an alarm must
    // not wait behind unrelated ingest work. Changes within one handler still share one frame.
    queueMicrotask(() => {
      this.urgentQueued = false;
      if (this.stopped) return;
      const only = [...this.urgent];
      this.urgent.clear();
      this.flush(only);
    });
  }

  /** Builds every stale channel (or those of `onlyScenes`) somebody watches and emits its delta. */
  flush(onlyScenes?: readonly ScreenSceneId[]): void {
    // taken up front: building reads fusion but never marks scenes dirty
    this.takeDirty(onlyScenes);
    const nowTs = this.now();
    let state: FusedState | null = null;
    /** one scoped state per scope per flush, shared by that scope's channels */
    const scoped = new Map<string, FusedState>();
    for (const ch of this.channels.values()) {
      if (!ch.stale || (onlyScenes && !onlyScenes.includes(ch.scene))) continue;
      ch.stale = false;
      if (this.sink.watchers(ch.room) === 0) {
        // nobody watches: drop the model; the next joiner gets a fresh snapshot at a new revision
        if (ch.model) {
          ch.model = null;
          ch.history = [];
          ch.historyTs = [];
          ch.snapshotAnswer = null;
          ch.rev += this.revStep;
        }
        continue;
      }
      state ??= this.fusion.fusedState(nowTs);
      const key = scopeKey(ch.scope);
      let view = scoped.get(key);
      if (!view) scoped.set(key, (view = scopeFusedState(state, ch.scope)));
      this.advance(ch, this.build(ch.scene, view));
    }
  }

  /**
   * Moves a channel to its next model: the first model only starts a revision; later ones are
   * diffed, and a non-empty delta gets the next revision, enters the history and is emitted.
   */
  private advance(ch: Channel, next: SceneModel): void {
    const prev = ch.model;
    ch.model = next;
    if (!prev) {
      ch.rev += this.revStep;
      return;
    }
    const delta = diffScene(prev, next);
    if (!delta) return;
    const msg: SceneDeltaMessage = { scene: ch.scene, ...districtTag(ch.district), rev: ch.rev + this.revStep, prevRev: ch.rev, delta };
    ch.rev = msg.rev;
    ch.history.push(msg);
    ch.historyTs.push(this.now());
    this.trimHistory(ch);
    this.stats.frames++;
    this.sink.emitDelta(msg, ch.room);
  }

  /** Drops history entries beyond the count bound or older than the age bound. */
  private trimHistory(ch: Channel): void {
    const oldest = this.now() - this.opts.deltaHistoryMaxAgeMs;
    let drop = Math.max(0, ch.history.length - this.opts.deltaHistoryPerScene);
    while (drop < ch.historyTs.length && ch.historyTs[drop]! < oldest) drop++;
    if (drop === 0) return;
    ch.history.splice(0, drop);
    ch.historyTs.splice(0, drop);
  }

  private build(scene: ScreenSceneId, state: FusedState): SceneModel {
    const t0 = performance.now();
    const model = SCENE_BUILDERS[scene](state);
    this.stats.builds++;
    this.stats.buildMsTotal += performance.now() - t0;
    return model;
  }

  /**
   * Current snapshot of a scene as seen by `scope`, building it when needed. A drilled view passes
   * the scope already narrowed to `district` (scenes/drill-scope.ts).
   */
  snapshot(scene: ScreenSceneId, scope: DataScope = WHOLE_CITY, district?: DistrictCode): SceneSnapshotMessage {
    const ch = this.channel(scene, scope, district);
    this.takeDirty([scene]);
    if (!ch.model || ch.stale) {
      ch.stale = false;
      // bring the channel up to date first so the snapshot and later deltas line up
      this.advance(ch, this.build(scene, scopeFusedState(this.fusion.fusedState(this.now()), scope)));
    }
    return { scene, ...districtTag(district), rev: ch.rev, model: ch.model! };
  }

  /** Answer to `scene:join` (as seen by `scope`): missed deltas when the history still covers them, else a snapshot. */
  join(scene: ScreenSceneId, sinceRev: number | undefined, scope: DataScope = WHOLE_CITY, district?: DistrictCode): SceneJoinResult {
    const ch = this.channel(scene, scope, district);
    const dirty = () => ch.stale || this.fusion.isSceneDirty(scene);
    // bring a dirty channel up to date first, so the answer covers everything up to now (the
    // caller adds the socket to the room only after this, so it does not get that frame twice)
    if (sinceRev !== undefined && ch.model && dirty()) this.flush([scene]);
    if (sinceRev !== undefined && ch.model && !dirty()) {
      if (sinceRev === ch.rev) return { ok: true, mode: 'deltas', deltas: [] };
      this.trimHistory(ch);
      const first = ch.history[0];
      // only a revision this channel issued: a number between two of ours (another node's lane,
      // a forged one) names a model this node never had
      if (first && (sinceRev === first.prevRev || ch.history.some((d) => d.rev === sinceRev))) {
        return { ok: true, mode: 'deltas', deltas: ch.history.filter((d) => d.rev > sinceRev) };
      }
    }
    const snapshot = this.snapshot(scene, scope, district);
    if (ch.snapshotAnswer?.rev !== snapshot.rev) {
      // encoded to JSON once for all screens joining at this revision (models are never mutated)
      ch.snapshotAnswer = { rev: snapshot.rev, answer: encodeOnce({ ok: true, mode: 'snapshot', snapshot }) };
    }
    return ch.snapshotAnswer.answer;
  }

  rev(scene: ScreenSceneId, scope: DataScope = WHOLE_CITY, district?: DistrictCode): number {
    return this.channel(scene, scope, district).rev;
  }
}

/** `{ district }` for a drilled view's messages, nothing for a whole-scope view (its frames stay as before). */
function districtTag(district: DistrictCode | undefined): { district?: DistrictCode } {
  return district === undefined ? {} : { district };
}
