/**
 * What changed for the screens since they were last built: the dirty scenes (taken by the scene
 * hub) and the status epoch with its bounded log of devices whose display status may have changed
 * (FusedState.statusEpoch / statusChangedSince), so builders patch device points instead of
 * rebuilding them all.
 */
import { SCREEN_SCENE_IDS, type SceneId, type ScreenSceneId } from '../../scenes/domain';

export interface SceneChangesOptions {
  /** status changes remembered for incremental scene builds; past this a build starts over */
  statusLogMax: number;
}

export class SceneChanges {
  /** scenes whose model may have changed since the last build */
  private readonly dirty = new Set<ScreenSceneId>();
  /** bumped whenever a device's display status may change (online flag, alerts) */
  private epoch = 0;
  /** device whose status changed at each epoch since `logStartEpoch` (bounded) */
  private log: string[] = [];
  /** the epoch before the first entry of the log; older epochs are unknown (full rebuild) */
  private logStartEpoch = 0;

  constructor(private readonly opts: SceneChangesOptions) {}

  /** A scene may have changed; the overview summarises every scene, so it changes with any. */
  markDirty(scene: SceneId | ScreenSceneId): void {
    this.dirty.add(scene);
    if (scene !== 'overview') this.dirty.add('overview');
  }

  markAllDirty(): void {
    for (const s of SCREEN_SCENE_IDS) this.dirty.add(s);
  }

  isDirty(scene: ScreenSceneId): boolean {
    return this.dirty.has(scene);
  }

  /** The dirty scenes (only those among `only`, when given), no longer dirty after this call. */
  takeDirty(only?: readonly ScreenSceneId[]): ScreenSceneId[] {
    const taken = only ? only.filter((s) => this.dirty.has(s)) : [...this.dirty];
    for (const s of taken) this.dirty.delete(s);
    return taken;
  }

  get statusEpoch(): number {
    return this.epoch;
  }

  /** A device's display status may have changed (null: any device's). */
  bumpStatus(deviceId: string | null): void {
    this.epoch++;
    if (deviceId === null) {
      this.log = [];
      this.logStartEpoch = this.epoch;
      return;
    }
    this.log.push(deviceId);
    if (this.log.length > this.opts.statusLogMax) {
      const drop = this.log.length - this.opts.statusLogMax;
      this.log.splice(0, drop);
      this.logStartEpoch += drop;
    }
  }

  /** Devices whose status may have changed after `epoch`; null when the log no longer reaches back. */
  statusChangedSince(epoch: number): ReadonlySet<string> | null {
    if (epoch < this.logStartEpoch || epoch > this.epoch) return null;
    return new Set(this.log.slice(epoch - this.logStartEpoch));
  }
}
