/**
 * What a handler was sent with (issue 17, 随派单发送): the note the officer typed and the typed
 * impact block (scenes/impact/dispatch-impact.ts) of the incident's latest dispatch or
 * reassignment, and the compact text the phone and the console timeline show for the block. Pure.
 */
import type { Incident, IncidentTransition } from '@scenes/domain';
import type { DispatchImpact, DispatchImpactResource } from '@scenes/impact/dispatch-impact';
import type { Lang } from '../../i18n/i18n';
import { imt as impactText } from './messages';

export function distanceText(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${m} m`;
}

/** The latest dispatch or reassignment: what the handler now on the task was sent with. */
function latestDispatchStep(incident: Pick<Incident, 'history'>): IncidentTransition | null {
  for (let i = incident.history.length - 1; i >= 0; i--) {
    const step = incident.history[i]!;
    if (step.action === 'dispatch' || step.action === 'reassign') return step;
  }
  return null;
}

/** The note of the incident's latest dispatch or reassignment: what the handler was sent with (shown on the phone's task). */
export function dispatchNoteOf(incident: Pick<Incident, 'history'>): string | null {
  return latestDispatchStep(incident)?.note?.trim() || null;
}

/**
 * The impact block of the latest dispatch or reassignment, else null: a later step sent without
 * one means the officer chose not to send it then, so an older block is not shown as current.
 */
export function dispatchImpactSentWith(incident: Pick<Incident, 'history'>): DispatchImpact | null {
  return latestDispatchStep(incident)?.impact ?? null;
}

/** One line: 影响范围 半径 500 米 · 社区 2 · 避难场所 1（空余 300 人） · 学校/医院 1 · 其他设施 4 · 设备 12（告警 2）. */
export function dispatchImpactSummary(impact: DispatchImpact, lang: Lang): string {
  const c = impact.counts;
  return [
    impactText('impact.sent.range', { m: impact.radiusM }, lang),
    impactText('impact.sent.communities', { n: c.communities }, lang),
    impactText('impact.sent.shelters', { n: c.shelters, free: c.shelterFreePlaces }, lang),
    // null: the registry marks no school or hospital — unknown, so not shown as 0
    ...(c.facilities === null ? [] : [impactText('impact.sent.facilities', { n: c.facilities }, lang)]),
    impactText('impact.sent.assets', { n: c.otherAssets }, lang),
    c.alertingDevices > 0
      ? impactText('impact.sent.devicesAlerting', { n: c.devices, a: c.alertingDevices }, lang)
      : impactText('impact.sent.devices', { n: c.devices }, lang),
  ].join(' · ');
}

/** 市南消防救援站 × 7 人 / Shinan Fire Station × 7 members. */
export function dispatchImpactResourceText(r: DispatchImpactResource, lang: Lang): string {
  const name = lang === 'en' && r.nameEn ? r.nameEn : r.name;
  const unit = r.unit ? impactText(`impact.unit.${r.unit}`, undefined, lang) : '';
  return unit ? `${name} × ${r.quantity} ${unit}` : `${name} × ${r.quantity}`;
}
