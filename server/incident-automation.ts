/**
 * What the system does to incidents on its own when alerts change: opening an incident for a
 * severe alert, and (issue 14):
 * - 查重: before an incident is opened for an alert, an open incident of the same category nearby
 *   and recent (scenes/storm/incident-dedup.ts, radius and window from the config) takes the alert
 *   instead — a `link_alert` step by `system` with a note saying why;
 * - incidents follow the danger: when a linked alert worsens, its incident is reprioritised by
 *   `system` (scenes/storm/reprioritise.ts: priority up, SLA tightened, never lowered).
 * Each step is one compare-and-set write with a command id derived from what caused it, so the
 * same alert change handled twice (a retry, another node) applies once.
 */
import { createHash } from 'node:crypto';
import type { Alert, Incident, Rule } from '../scenes/domain';
import { shouldOpenIncident } from '../scenes/alert-lifecycle';
import { categoryForRule } from '../scenes/catalogue';
import { applyIncidentCommand, createIncidentFromAlert, SYSTEM_ACTOR_NAME, type Actor } from '../scenes/incident-machine';
import { findDuplicateIncident, type DedupConfig } from '../scenes/storm/incident-dedup';
import { reprioritiseForAlert } from '../scenes/storm/reprioritise';
import type { Store } from './store/store';
import type { Fusion } from './fusion';
import type { ChangeNotifier } from './commands';
import type { Logger } from './logger';

/**
 * The system as an actor of the state machine: it links alerts with the machine's own checks
 * (state, already linked); the history records `system`, never a person.
 */
const SYSTEM_ACTOR: Actor = { username: SYSTEM_ACTOR_NAME, role: 'admin' };

export interface IncidentAutomationDeps {
  store: Store;
  fusion: Fusion;
  notifier: ChangeNotifier;
  log: Logger;
  now: () => number;
  persistAlert: (alert: Alert) => Promise<void>;
  dedup: DedupConfig;
  /** times a system step is re-applied to a newer version after a conflict */
  retries: number;
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 16);
}

export class IncidentAutomation {
  /** automatic incident opening runs one alert at a time here */
  private autoOpenQueue: Promise<void> = Promise.resolve();

  constructor(private readonly d: IncidentAutomationDeps) {}

  /**
   * 查重 for an alert that would open an incident of `category`: link it to the nearest open
   * duplicate instead. Returns the incident it was linked to, or null (open a new one).
   */
  async linkToDuplicate(alert: Alert, category: string): Promise<Incident | null> {
    const dup = findDuplicateIncident({ category, location: alert.location, ts: alert.firstTs }, [...this.d.fusion.incidents.values()], this.d.dedup);
    if (!dup) return null;
    if (dup.incident.alertIds.includes(alert.id)) {
      // its own incident, opened before the alert's link was written (a crash, a retry): finish the link
      await this.pointAlertAt(alert.id, dup.incident.id);
      return dup.incident;
    }
    const commandId = `auto-link-${shortHash(alert.id)}`;
    const note = `查重: ${Math.round(dup.distanceM)} m from ${dup.incident.id}, same category (${category})`;
    let current = dup.incident;
    for (let attempt = 0; ; attempt++) {
      const r = applyIncidentCommand(
        current,
        { type: 'incident.link_alert', commandId, incidentId: current.id, alertId: alert.id, note },
        SYSTEM_ACTOR,
        this.d.now(),
      );
      if (!r.ok) {
        this.d.log.warn({ alertId: alert.id, incidentId: current.id, error: r.error }, 'dedup link refused; opening a new incident');
        return null;
      }
      const out = await this.d.store.transitionIncident(r.incident, current.version, commandId);
      if (out.status === 'conflict' && attempt < this.d.retries) {
        current = out.current;
        this.d.fusion.putIncident(current);
        continue;
      }
      if (out.status !== 'applied' && out.status !== 'duplicate') return null;
      if (out.status === 'applied') {
        this.d.fusion.putIncident(out.incident);
        this.d.notifier.incidentChanged(out.incident, current.assignees);
        this.d.log.info(
          { incidentId: out.incident.id, alertId: alert.id, distanceM: Math.round(dup.distanceM) },
          'alert linked to a duplicate incident',
        );
      }
      await this.pointAlertAt(alert.id, out.incident.id);
      // the linked alert may be worse than the incident it joined
      await this.followAlert(this.d.fusion.getAlert(alert.id) ?? alert);
      return this.d.fusion.incidents.get(out.incident.id) ?? out.incident;
    }
  }

  /** A linked alert changed: its open incident follows a worsening (never lowered). */
  async followAlert(alert: Alert): Promise<void> {
    if (!alert.incidentId || alert.cleared) return;
    // fusion holds every open incident (restored at start): one missing there is closed and stays as it is
    let current = this.d.fusion.incidents.get(alert.incidentId);
    if (!current) return;
    const commandId = `auto-rp-${shortHash(`${current.id}|${alert.id}|${alert.level}`)}`;
    for (let attempt = 0; ; attempt++) {
      const next = reprioritiseForAlert(current, { alertLevel: alert.level, alertId: alert.id, ts: this.d.now(), commandId });
      if (!next) return;
      const out = await this.d.store.transitionIncident(next, current.version, commandId);
      if (out.status === 'conflict' && attempt < this.d.retries) {
        current = out.current;
        this.d.fusion.putIncident(current);
        continue;
      }
      if (out.status === 'applied') {
        this.d.fusion.putIncident(out.incident);
        this.d.notifier.incidentChanged(out.incident, current.assignees);
        this.d.log.info(
          { incidentId: out.incident.id, alertId: alert.id, priority: out.incident.priority },
          'incident reprioritised for a worsening alert',
        );
      }
      return;
    }
  }

  /**
   * Opens an incident for an alert whose rule says so, unless 查重 links it to an open one. One
   * alert at a time in this process, so 查重 sees the incident the previous alert opened.
   */
  openIncidentInTurn(alertId: string, rule: Rule): Promise<void> {
    const run = async () => {
      const alert = this.d.fusion.getAlert(alertId);
      // re-checked in turn: an alert linked meanwhile (查重, a retry) opens nothing
      if (alert && shouldOpenIncident(rule, alert)) await this.openIncidentForAlert(alert, rule);
    };
    const next = this.autoOpenQueue.then(run, run);
    this.autoOpenQueue = next.catch(() => undefined);
    return next;
  }

  private async openIncidentForAlert(alert: Alert, rule: Rule): Promise<void> {
    // 查重 (issue 14): an open incident of the category nearby takes the alert instead
    if (await this.linkToDuplicate(alert, categoryForRule(rule))) return;
    const key = shortHash(alert.id);
    const commandId = `auto-${key}`;
    const incident = createIncidentFromAlert(alert, { id: `INC-A-${key}`, commandId, nowTs: this.d.now(), category: categoryForRule(rule) });
    const out = await this.d.store.createIncident(incident, commandId);
    this.d.fusion.putIncident(out.incident);
    const current = this.d.fusion.getAlert(alert.id) ?? alert;
    if (!current.incidentId) {
      const linked = { ...current, incidentId: out.incident.id };
      this.d.fusion.putAlert(linked);
      await this.d.persistAlert(linked);
      this.d.notifier.alertChanged(linked);
    }
    if (out.status === 'applied') {
      this.d.log.info({ incidentId: out.incident.id, alertId: alert.id, level: alert.level }, 'incident opened for alert');
      this.d.notifier.incidentChanged(out.incident, []);
    }
  }

  private async pointAlertAt(alertId: string, incidentId: string): Promise<void> {
    const a = this.d.fusion.getAlert(alertId);
    if (!a || a.incidentId) return;
    const linked = { ...a, incidentId };
    this.d.fusion.putAlert(linked);
    await this.d.persistAlert(linked);
    this.d.notifier.alertChanged(linked);
  }
}
