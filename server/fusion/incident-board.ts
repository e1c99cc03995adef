/** Incidents fusion shows: open ones and those closed within the retention window, by id. */
import type { Incident } from '../../scenes/domain';
import { isIncidentOpen } from '../../scenes/incident-rules';

export class IncidentBoard {
  readonly incidents = new Map<string, Incident>();

  restore(incidents: readonly Incident[]): void {
    for (const i of incidents) this.incidents.set(i.id, i);
  }

  /** Stores a newer version; returns the previous one, or false when `incident` is older (never move backwards). */
  put(incident: Incident): Incident | undefined | false {
    const prev = this.incidents.get(incident.id);
    if (prev && prev.version > incident.version) return false;
    this.incidents.set(incident.id, incident);
    return prev;
  }

  /** Incidents closed before `horizonTs` leave the board. */
  prune(horizonTs: number): void {
    for (const [id, i] of this.incidents) {
      if (i.state === 'closed' && (i.closedTs ?? i.updatedTs) < horizonTs) this.incidents.delete(id);
    }
  }

  openCount(): number {
    let open = 0;
    for (const i of this.incidents.values()) if (isIncidentOpen(i)) open++;
    return open;
  }
}
