/**
 * The server tick of the escalation ladder, 督办 deadlines and re-notify-until-acknowledged
 * (issue 14). It reads the incidents' stored deadlines (createdTs, slaDueTs, supervision) and the
 * open alerts from the fused state, asks the pure rules what is due (scenes/storm/
 * escalation-ladder.ts, renotify.ts) and publishes each due step as a notification whose id IS the
 * step's key: NotificationService.publish stores an id once, so a restart (or a second tick)
 * never fires a step twice. The re-notify log is persisted in the notify store.
 *
 * Overdue on screens needs no write: every screen derives it from `slaDueTs`
 * (scenes/incident-rules.ts isResolutionOverdue); the breach step tells the duty officers.
 *
 * Runs once per process. SEAM (issue 15): `lease.isHeld()` is asked before each tick; with several
 * nodes pass a cluster-wide lease with fencing there, and only its holder acts.
 */
import type { Alert, Incident } from '../../scenes/domain';
import { isIncidentInProgress } from '../../scenes/incident-rules';
import {
  dueLadderSteps,
  lapsedSupervisions,
  supervisionLapseKey,
  type DueLadderStep,
  type EscalationLadder,
  type Supervision,
} from '../../scenes/storm/escalation-ladder';
import { dueRenotifications, type RenotifyItem, type RenotifyPolicy, type SentNotification } from '../../scenes/storm/renotify';
import type { Logger } from '../logger';
import type { PeopleDirectory } from './change-hook';
import { incidentUrl } from './incident-notifications';
import type { NotificationService } from './notification-service';
import type { NotificationEvent, NotificationType } from './notify-types';

/** Who holds the right to act this tick (issue 15: a cluster-wide lease with fencing). */
export interface TickLease {
  isHeld(): Promise<boolean>;
}
export const PROCESS_LEASE: TickLease = { isHeld: () => Promise.resolve(true) };

/** Ladder tier placeholders in a re-notify item's recipients, expanded to the people on duty when sent. */
const OFFICERS = '@officer';
const LEADERS = '@leader';

export interface EscalationTickerDeps {
  notifications: NotificationService;
  directory: PeopleDirectory;
  /** the incidents and alerts as fused now (restored from the store at start) */
  incidents: () => Iterable<Incident>;
  alerts: () => Iterable<Alert>;
  ladder: EscalationLadder;
  renotify: RenotifyPolicy;
  log: Logger;
  now?: () => number;
  lease?: TickLease;
}

function stepType(step: DueLadderStep): NotificationType {
  switch (step.notify) {
    case 'assignees':
      return 'incident.reminder';
    case 'duty_officer':
      return 'incident.overdue';
    case 'leader':
      return 'incident.escalated_to_leader';
  }
}

type Text = { zh: string; en: string };

function ladderText(type: NotificationType, incident: Incident): { title: Text; body: Text } {
  const zh = incident.title.slice(0, 60);
  const en = (incident.titleEn ?? incident.title).slice(0, 60);
  switch (type) {
    case 'incident.reminder':
      return {
        title: { zh: `催办：${zh}`, en: `Reminder: ${en}` },
        body: { zh: '处置时限已过大半，请尽快办结。', en: 'Most of the time allowed has passed; please resolve it.' },
      };
    case 'incident.overdue':
      return {
        title: { zh: `工单超时：${zh}`, en: `Overdue: ${en}` },
        body: {
          zh: `已超过处置时限（${incident.priority}），请值班员跟进。`,
          en: `Past its resolution deadline (${incident.priority}); please follow up.`,
        },
      };
    default:
      return {
        title: { zh: `超时上报领导：${zh}`, en: `Escalated to leader: ${en}` },
        body: { zh: '工单超时仍未办结，请领导关注。', en: 'Still unresolved well past its deadline.' },
      };
  }
}

export class EscalationTicker {
  private readonly now: () => number;
  private readonly lease: TickLease;
  /** step keys known fired (published now or before a restart): not asked again */
  private readonly fired = new Set<string>();
  private sentLog: SentNotification[] | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(private readonly d: EscalationTickerDeps) {
    this.now = d.now ?? Date.now;
    this.lease = d.lease ?? PROCESS_LEASE;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; a call during a pass waits for it instead of starting another. */
  tick(): Promise<void> {
    this.ticking ??= this.pass()
      .catch((err: unknown) => this.d.log.warn({ err }, 'escalation tick failed; will retry'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  private async pass(): Promise<void> {
    if (!(await this.lease.isHeld())) return;
    const now = this.now();
    const incidents = [...this.d.incidents()];
    const byId = new Map(incidents.map((i) => [i.id, i]));
    await this.ladder(incidents, now);
    await this.supervisions(incidents, byId, now);
    await this.renotifyUnacknowledged(incidents, now);
    // forget fired keys of incidents no longer in progress (their steps never come due again)
    for (const key of this.fired) {
      const id = key.slice(0, key.indexOf(':'));
      const i = byId.get(id);
      if (!i || !isIncidentInProgress(i)) this.fired.delete(key);
    }
  }

  private async publishOnce(key: string, event: NotificationEvent): Promise<void> {
    const r = await this.d.notifications.publish(event);
    if (!r.ok) this.d.log.warn({ key, error: r.error }, 'escalation notice refused');
    // published now, or already before (a restart): either way it is fired
    this.fired.add(key);
  }

  private async ladder(incidents: readonly Incident[], now: number): Promise<void> {
    for (const incident of incidents) {
      for (const step of dueLadderSteps(incident, this.d.ladder, this.fired, now)) {
        const recipients = await this.audience(incident, step.notify);
        const type = stepType(step);
        await this.publishOnce(step.key, {
          id: `ladder:${step.key}`,
          type,
          incidentId: incident.id,
          district: incident.district,
          ...(incident.level !== null ? { level: incident.level } : {}),
          recipients,
          ...ladderText(type, incident),
          url: incidentUrl(step.notify === 'assignees' ? 'handler' : step.notify === 'leader' ? 'leader' : 'officer', incident.id),
          ts: step.dueTs,
        });
      }
    }
  }

  private async audience(incident: Incident, notify: DueLadderStep['notify']): Promise<string[]> {
    switch (notify) {
      case 'assignees':
        return [...incident.assignees];
      case 'duty_officer':
        return this.d.directory.people('officer', incident.district);
      case 'leader':
        return this.d.directory.people('leader', incident.district);
    }
  }

  private async supervisions(incidents: readonly Incident[], byId: ReadonlyMap<string, Incident>, now: number): Promise<void> {
    const all: Supervision[] = incidents.filter((i) => i.supervision).map((i) => ({ incidentId: i.id, ...i.supervision! }));
    for (const s of lapsedSupervisions(all, byId, this.fired, now)) {
      const incident = byId.get(s.incidentId)!;
      const key = supervisionLapseKey(s);
      await this.publishOnce(key, {
        id: `dubang-lapse:${key}`,
        type: 'incident.supervised',
        incidentId: incident.id,
        district: incident.district,
        recipients: [s.by],
        title: {
          zh: `督办到期未办结：${incident.title.slice(0, 60)}`,
          en: `Supervision deadline passed: ${(incident.titleEn ?? incident.title).slice(0, 60)}`,
        },
        body: { zh: `督办要求：${s.note}`.slice(0, 300), en: `Supervision note: ${s.note}`.slice(0, 300) },
        url: incidentUrl('leader', incident.id),
        ts: s.deadlineTs,
      });
    }
  }

  /** Red alerts and P1 tasks not acknowledged within N minutes: again, then up the ladder. */
  private async renotifyUnacknowledged(incidents: readonly Incident[], now: number): Promise<void> {
    const store = this.d.notifications.store;
    this.sentLog ??= await store.loadRenotifyLog();
    const items: (RenotifyItem & { incident?: Incident; alert?: Alert })[] = [];
    for (const incident of incidents) {
      if (incident.priority !== 'P1' || incident.state !== 'dispatched') continue;
      const dispatched = [...incident.history].reverse().find((h) => h.action === 'dispatch' || h.action === 'reassign');
      for (const a of incident.assignees)
        items.push({
          key: `task:${incident.id}:${a}`,
          sinceTs: dispatched?.ts ?? incident.updatedTs,
          acknowledged: false,
          recipients: [a, OFFICERS, LEADERS],
          incident,
        });
    }
    for (const alert of this.d.alerts()) {
      if (alert.level !== 'red' || alert.cleared || alert.acknowledged) continue;
      items.push({ key: `alert:${alert.id}`, sinceTs: alert.firstTs, acknowledged: false, recipients: [OFFICERS, LEADERS], alert });
    }
    const waiting = new Set(items.map((i) => i.key));
    const stale = this.sentLog.filter((s) => !waiting.has(s.itemKey)).map((s) => s.itemKey);
    if (stale.length > 0) {
      await store.forgetRenotify(stale);
      this.sentLog = this.sentLog.filter((s) => waiting.has(s.itemKey));
    }
    const byKey = new Map(items.map((i) => [i.key, i]));
    for (const due of dueRenotifications(items, this.d.renotify, this.sentLog, now)) {
      const item = byKey.get(due.key.slice(0, due.key.lastIndexOf(':')))!;
      const district = item.incident?.district ?? item.alert!.district;
      const recipients =
        due.recipient === OFFICERS
          ? await this.d.directory.people('officer', district)
          : due.recipient === LEADERS
            ? await this.d.directory.people('leader', district)
            : [due.recipient];
      const toRole = due.recipient === OFFICERS ? 'officer' : due.recipient === LEADERS ? 'leader' : 'handler';
      const event: NotificationEvent = item.incident
        ? {
            id: `renotify:${due.key}`,
            type: 'incident.reminder',
            incidentId: item.incident.id,
            district,
            ...(item.incident.level !== null ? { level: item.incident.level } : {}),
            recipients,
            title: {
              zh: `再次提醒（第 ${due.attempt + 1} 次）：${item.incident.title.slice(0, 60)}`,
              en: `Reminder #${due.attempt + 1}: ${(item.incident.titleEn ?? item.incident.title).slice(0, 60)}`,
            },
            body: { zh: '特急任务尚未接单，请立即处理。', en: 'A P1 task has not been accepted yet.' },
            url: incidentUrl(toRole, item.incident.id),
          }
        : {
            id: `renotify:${due.key}`,
            type: 'alert.red',
            level: 'red',
            alertId: item.alert!.id,
            district,
            recipients,
            title: {
              zh: `红色告警未确认（第 ${due.attempt + 1} 次）：${item.alert!.title}`.slice(0, 110),
              en: `Red alert unacknowledged (#${due.attempt + 1}): ${item.alert!.titleEn}`.slice(0, 110),
            },
            body: { zh: '请立即确认该红色告警。', en: 'Please acknowledge this red alert now.' },
            url: item.alert!.incidentId ? incidentUrl(toRole === 'handler' ? 'officer' : toRole, item.alert!.incidentId) : '/console',
          };
      const r = await this.d.notifications.publish(event);
      if (!r.ok) this.d.log.warn({ key: due.key, error: r.error }, 're-notify refused');
      const sent: SentNotification = { itemKey: due.itemKey, attempt: due.attempt, recipient: due.recipient, ts: now };
      await store.saveRenotify(sent);
      this.sentLog = [...this.sentLog.filter((s) => s.itemKey !== due.itemKey), sent];
    }
  }
}
