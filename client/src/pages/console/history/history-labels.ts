/**
 * How the history view words its records (issue 16), shared by its form, table and detail:
 * times in Beijing time, incident and alert states, device kinds, alert timeline steps.
 */
import type { Alert, Incident } from '@scenes/domain';
import { DEVICE_CATALOGUE } from '@scenes/catalogue';
import type { AlertTimelineStep } from '@scenes/history/alert-timeline';
import { beijingStamp } from '../../../data/audit';
import { lang, pickText, t } from '../../../i18n/i18n';

/** `YYYY-MM-DD HH:mm` Beijing time, or a dash. */
export function historyStamp(ts: number | undefined): string {
  return ts === undefined ? '—' : beijingStamp(ts).slice(0, 16);
}

export function incidentStateText(i: Incident): string {
  if (i.state === 'closed' && i.outcome) return t(`history.outcome.${i.outcome}` as never);
  return t(`incident.${i.state}` as never);
}

export function alertStateText(a: Alert): string {
  const parts = [t(a.cleared ? 'history.alertState.cleared' : 'history.alertState.active')];
  if (a.acknowledged) parts.push(t('history.alertState.acknowledged'));
  return parts.join(' · ');
}

export function deviceKindLabel(kind: string): string {
  const entry = DEVICE_CATALOGUE[kind as keyof typeof DEVICE_CATALOGUE];
  return entry ? pickText(entry.label, entry.labelEn, lang.value) : kind;
}

export function alertStepText(s: AlertTimelineStep): string {
  switch (s.kind) {
    case 'raised':
      return t('history.alertStep.raised');
    case 'observed':
      return `${t('history.alertStep.observed', { n: s.count })} · ${t(`level.${s.peakLevel}` as never)}`;
    case 'acknowledged':
      return t('history.alertStep.acknowledged', { by: s.by });
    case 'cleared':
      return t('history.alertStep.cleared');
    case 'linked':
      return t('history.alertStep.linked', { id: s.incidentId });
    default: {
      const unreachable: never = s;
      return unreachable;
    }
  }
}
