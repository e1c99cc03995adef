/**
 * Field handlers: profile, live position and derived status (busy on an assigned incident, idle
 * while reporting positions, off duty after a silence). Incidents come in as an argument: the
 * roster reads them, it does not own them.
 */
import type { Handler, HandlerStatus, Incident, LngLat } from '../../scenes/domain';
import { isIncidentBeingWorked, isIncidentInProgress } from '../../scenes/incident-rules';

export interface HandlerProfile {
  id: string;
  name: string;
  team: string;
  skills: string[];
  home: LngLat | null;
  /** the account is disabled: on the roster only while assigned to an incident in progress (Fusion.syncHandlers) */
  disabled?: boolean;
}

export interface HandlerRosterOptions {
  /** a handler without a position report for this long counts as off duty, ms */
  handlerOffDutyAfterMs: number;
  /** after a real phone's position, simulated positions for that handler are ignored this long, ms */
  realPositionPriorityMs: number;
}

export class HandlerRoster {
  private readonly handlers = new Map<string, Handler>();
  /** last position time per handler from a real phone (not the simulator) */
  private readonly realPositionTs = new Map<string, number>();

  constructor(private readonly opts: HandlerRosterOptions) {}

  /** Adds these handlers or updates their profiles (position and status kept); true when any was new or changed. */
  register(profiles: readonly HandlerProfile[]): boolean {
    let changed = false;
    for (const p of profiles) {
      const prev = this.handlers.get(p.id);
      if (prev && prev.name === p.name && prev.team === p.team && prev.skills.join('\n') === p.skills.join('\n')) continue;
      changed = true;
      this.handlers.set(p.id, {
        id: p.id,
        name: p.name,
        team: p.team,
        skills: p.skills,
        location: prev?.location ?? p.home,
        locationTs: prev?.locationTs ?? 0,
        status: prev?.status ?? 'off_duty',
      });
    }
    return changed;
  }

  /**
   * Records a handler's position. A simulated position (demo simulator) is ignored while a real
   * phone reported for that handler recently, so the simulator never drags a real person around.
   * Returns false for an unknown handler; 'ignored' when a simulated report lost to a real one.
   */
  updatePosition(id: string, location: LngLat, ts: number, simulated: boolean, incidents: Iterable<Incident>): boolean | 'ignored' {
    const h = this.handlers.get(id);
    if (!h) return false;
    if (simulated && ts - (this.realPositionTs.get(id) ?? -Infinity) < this.opts.realPositionPriorityMs) return 'ignored';
    if (!simulated) this.realPositionTs.set(id, ts);
    this.handlers.set(id, { ...h, location, locationTs: ts, status: this.statusOf(id, ts, ts, incidents) });
    return true;
  }

  private statusOf(id: string, locationTs: number, nowTs: number, incidents: Iterable<Incident>): HandlerStatus {
    for (const i of incidents) {
      if (isIncidentBeingWorked(i) && i.assignees.includes(id)) return 'busy';
    }
    return nowTs - locationTs > this.opts.handlerOffDutyAfterMs ? 'off_duty' : 'idle';
  }

  /** Re-derives the status of these handlers; true when any changed. */
  refresh(ids: Iterable<string>, incidents: Iterable<Incident>, nowTs: number): boolean {
    let changed = false;
    for (const id of ids) {
      const h = this.handlers.get(id);
      if (!h) continue;
      const status = this.statusOf(id, h.locationTs, nowTs, incidents);
      if (status !== h.status) {
        this.handlers.set(id, { ...h, status });
        changed = true;
      }
    }
    return changed;
  }

  /** Idle handlers silent past the off-duty delay go off duty; true when any changed. */
  sweepOffDuty(incidents: Iterable<Incident>, nowTs: number): boolean {
    let changed = false;
    for (const h of this.handlers.values()) {
      if (h.status === 'idle' && nowTs - h.locationTs > this.opts.handlerOffDutyAfterMs) changed = this.refresh([h.id], incidents, nowTs) || changed;
    }
    return changed;
  }

  /**
   * The roster becomes `profiles` (the handler accounts): new ones added, profiles updated, and
   * those not listed (an account deleted or given another role) or disabled left out — except
   * handlers assigned to an incident still in progress: its card and the map keep naming them
   * until it is finished. True when anything changed.
   */
  sync(profiles: readonly HandlerProfile[], incidents: Iterable<Incident>): boolean {
    const assigned = new Set<string>();
    for (const i of incidents) if (isIncidentInProgress(i)) for (const a of i.assignees) assigned.add(a);
    const kept = profiles.filter((p) => !p.disabled || assigned.has(p.id));
    let changed = this.register(kept);
    const ids = new Set(kept.map((p) => p.id));
    for (const id of [...this.handlers.keys()]) {
      if (ids.has(id) || assigned.has(id)) continue;
      this.handlers.delete(id);
      this.realPositionTs.delete(id);
      changed = true;
    }
    return changed;
  }

  list(): Handler[] {
    return [...this.handlers.values()];
  }

  get(id: string): Handler | undefined {
    return this.handlers.get(id);
  }
}
