/**
 * What an incident or alert change tells whom, beyond the open page (issue 14). The mapping is
 * pure (`notificationsForIncidentChange`, `notificationForAlert`): a dispatch or reassignment is a
 * new task for each new assignee, a close without resolving tells the handlers it was assigned to,
 * a 督办 tells the assignees, a new red alert tells the duty officers of its district. Each
 * notification id names the change (incident version, alert id), so replays publish nothing twice.
 */
import type { Alert, DistrictCode, Incident, Priority, Role } from '../../scenes/domain';
import { SYSTEM_ACTOR_NAME } from '../../scenes/incident-machine';
import { districtInScope, scopeOf } from '../../scenes/scope';
import type { StoredUser } from '../store/store';
import type { NotificationEvent } from './notify-types';

/** Links a tap opens: the handler's phone page, the officer's console, the leader's briefing. */
export function incidentUrl(role: 'handler' | 'officer' | 'leader', incidentId: string): string {
  const q = `?incident=${encodeURIComponent(incidentId)}`;
  switch (role) {
    case 'handler':
      return `/mobile${q}`;
    case 'officer':
      return `/console${q}`;
    case 'leader':
      return `/brief${q}`;
  }
}

const PRIORITY_ZH: Record<Priority, string> = { P1: '特急', P2: '紧急', P3: '较急', P4: '一般' };

function titleOf(i: Pick<Incident, 'title' | 'titleEn'>): { zh: string; en: string } {
  return { zh: i.title.slice(0, 80), en: (i.titleEn ?? i.title).slice(0, 80) };
}

function base(i: Incident): Pick<NotificationEvent, 'incidentId' | 'district' | 'level'> {
  return { incidentId: i.id, district: i.district, ...(i.level !== null ? { level: i.level } : {}) };
}

/** The notifications one stored change of an incident makes (`previousAssignees`: before the change). */
export function notificationsForIncidentChange(incident: Incident, previousAssignees: readonly string[]): NotificationEvent[] {
  const last = incident.history[incident.history.length - 1];
  if (!last) return [];
  const t = titleOf(incident);
  const out: NotificationEvent[] = [];
  const stamp = `${incident.id}:v${incident.version}`;
  switch (last.action) {
    case 'dispatch':
    case 'reassign': {
      const fresh = incident.assignees.filter((a) => !previousAssignees.includes(a) || last.action === 'dispatch');
      if (fresh.length === 0) break;
      out.push({
        id: `incident.dispatched:${stamp}`,
        type: 'incident.dispatched',
        ...base(incident),
        recipients: fresh,
        title: { zh: `新任务（${PRIORITY_ZH[incident.priority]}）：${t.zh}`, en: `New task (${incident.priority}): ${t.en}` },
        body: { zh: '请接单并尽快前往现场处置。', en: 'Accept the task and go to the site.' },
        url: incidentUrl('handler', incident.id),
      });
      break;
    }
    case 'close_unresolved': {
      const told = [...new Set([...incident.assignees, ...previousAssignees])];
      if (told.length === 0) break;
      const reason = incident.outcomeReason ?? last.note ?? '';
      out.push({
        id: `incident.closed_unresolved:${stamp}`,
        type: 'incident.closed_unresolved',
        ...base(incident),
        recipients: told,
        title: { zh: `工单已关闭（未处置）：${t.zh}`, en: `Closed without resolving: ${t.en}` },
        body: { zh: `原因：${reason}`.slice(0, 300), en: `Reason: ${reason}`.slice(0, 300) },
        url: incidentUrl('handler', incident.id),
      });
      break;
    }
    case 'supervise': {
      if (incident.assignees.length === 0 || !incident.supervision) break;
      const s = incident.supervision;
      out.push({
        id: `incident.supervised:${stamp}`,
        type: 'incident.supervised',
        ...base(incident),
        recipients: [...incident.assignees],
        title: { zh: `督办：${t.zh}`, en: `Supervised: ${t.en}` },
        body: {
          zh: `${s.by} 督办：${s.note}（期限 ${new Date(s.deadlineTs).toISOString().slice(0, 16).replace('T', ' ')} UTC）`.slice(0, 400),
          en: `${s.by} supervises: ${s.note} (due ${new Date(s.deadlineTs).toISOString()})`.slice(0, 400),
        },
        url: incidentUrl('handler', incident.id),
      });
      break;
    }
    default:
      break;
  }
  return out;
}

/** Who acted on the incident in its last step (they acknowledged what they were told), or null for the system. */
export function actorOfLastStep(incident: Incident): string | null {
  const last = incident.history[incident.history.length - 1];
  return last && last.actor !== SYSTEM_ACTOR_NAME ? last.actor : null;
}

/** A red alert, open and unacknowledged, tells the duty officers once. */
export function notificationForAlert(alert: Alert, officers: readonly string[]): NotificationEvent | null {
  if (alert.level !== 'red' || alert.acknowledged || alert.cleared || officers.length === 0) return null;
  return {
    id: `alert.red:${alert.id}`,
    type: 'alert.red',
    level: 'red',
    district: alert.district,
    alertId: alert.id,
    ...(alert.incidentId !== undefined ? { incidentId: alert.incidentId } : {}),
    recipients: [...officers],
    title: { zh: `红色告警：${alert.title}`.slice(0, 100), en: `Red alert: ${alert.titleEn}`.slice(0, 100) },
    body: {
      zh: `设备 ${alert.deviceId}${alert.value !== undefined ? `，当前值 ${alert.value}` : ''}，请确认。`,
      en: `Device ${alert.deviceId}${alert.value !== undefined ? `, value ${alert.value}` : ''}; please acknowledge.`,
    },
    url: alert.incidentId !== undefined ? incidentUrl('officer', alert.incidentId) : '/console',
  };
}

/** Enabled people of a role whose data scope holds the district (officers, leaders limited to districts). */
export function peopleFor(users: readonly StoredUser[], role: Role, district: DistrictCode): string[] {
  return users
    .filter((u) => u.role === role && !u.disabled && districtInScope(scopeOf(u), district))
    .map((u) => u.username)
    .sort();
}
