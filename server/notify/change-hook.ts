/**
 * The one hook between incident/alert changes and notifications: a ChangeNotifier that passes
 * every change on to the realtime notifier first (screens are never held up by a push or a
 * webhook), then publishes what the change tells whom (incident-notifications.ts), and counts the
 * actor's own step as acknowledging what they were told about that incident.
 */
import type { Alert, DistrictCode, Incident, Role } from '../../scenes/domain';
import type { ChangeNotifier } from '../commands';
import type { Logger } from '../logger';
import type { Store, StoredUser } from '../store/store';
import { actorOfLastStep, notificationForAlert, notificationsForIncidentChange, peopleFor } from './incident-notifications';
import type { NotificationService } from './notification-service';

/** How long the list of people is reused before it is read again, ms (a role or scope change shows within it). */
export const DIRECTORY_TTL_MS = 30_000;

/** Who is on duty where: enabled officers / leaders whose scope holds a district, from the stored users. */
export class PeopleDirectory {
  private cached: { users: StoredUser[]; ts: number } | null = null;
  constructor(
    private readonly store: Pick<Store, 'listUsers'>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = DIRECTORY_TTL_MS,
  ) {}

  private async users(): Promise<StoredUser[]> {
    const now = this.now();
    if (!this.cached || now - this.cached.ts > this.ttlMs) this.cached = { users: await this.store.listUsers(), ts: now };
    return this.cached.users;
  }

  async people(role: Role, district: DistrictCode): Promise<string[]> {
    return peopleFor(await this.users(), role, district);
  }

  /** Everyone enabled of a role, whatever their districts (a city-wide notice). */
  async everyone(role: Role): Promise<string[]> {
    return (await this.users())
      .filter((u) => u.role === role && !u.disabled)
      .map((u) => u.username)
      .sort();
  }
}

/** Ids handled lately in this process: an alert updated on every reading is published (or acknowledged) once, not once per update. */
export class RecentIds {
  private ids = new Set<string>();
  constructor(private readonly max = 10_000) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  /** after it was handled (a failure is not added: the next update tries again) */
  add(id: string): void {
    if (this.ids.size >= this.max) this.ids = new Set();
    this.ids.add(id);
  }
}

export function notifyingChangeNotifier(
  inner: ChangeNotifier,
  deps: { notifications: NotificationService; directory: PeopleDirectory; log: Logger },
): ChangeNotifier {
  const { notifications, directory, log } = deps;
  const fail = (what: string) => (err: unknown) => log.warn({ err }, `notifications: ${what} failed`);
  const handled = new RecentIds();
  return {
    alertChanged(alert: Alert): void {
      inner.alertChanged(alert);
      void (async () => {
        if (alert.acknowledged && alert.ackBy) {
          if (alert.peakLevel !== 'red' || handled.has(`ack:${alert.id}`)) return;
          await notifications.acknowledge(`alert.red:${alert.id}`, alert.ackBy);
          handled.add(`ack:${alert.id}`);
          return;
        }
        if (alert.level !== 'red' || alert.cleared || handled.has(`red:${alert.id}`)) return;
        const event = notificationForAlert(alert, await directory.people('officer', alert.district));
        if (event && (await notifications.publish(event)).ok) handled.add(`red:${alert.id}`);
      })().catch(fail('red alert notice'));
    },
    incidentChanged(incident: Incident, previousAssignees: readonly string[]): void {
      inner.incidentChanged(incident, previousAssignees);
      void (async () => {
        for (const event of notificationsForIncidentChange(incident, previousAssignees)) await notifications.publish(event);
        const actor = actorOfLastStep(incident);
        if (actor) await notifications.acknowledgeIncident(incident.id, actor);
      })().catch(fail('incident notice'));
    },
  };
}
