/**
 * The text an officer sends with a dispatch (随派单发送): the impact range in one line, the nearest
 * resource of each kind with distance and travel time, and what is assigned. Pure; it fits the
 * dispatch note (the protocol's note limit).
 */
import type { Incident, ResourceKind } from '@scenes/domain';
import type { ImpactRange } from '@scenes/impact/impact-types';
import type { Lang } from '../../i18n/i18n';
import type { ResourceAssignment } from '../../data/impact';
import { imt as impactText } from './messages';

/** the protocol's note limit (scenes/protocol.ts incidentBase.note) */
export const DISPATCH_NOTE_MAX_CHARS = 2000;
const NEAREST_PER_KIND_IN_BRIEFING = 2;

export function distanceText(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${m} m`;
}

export function impactBriefing(range: ImpactRange, assignments: readonly ResourceAssignment[], lang: Lang): string {
  const name = (n: { name: string; nameEn: string }) => (lang === 'en' ? n.nameEn : n.name);
  const sep = lang === 'en' ? '; ' : '；';
  const lines = [
    impactText(
      'impact.briefing.head',
      {
        m: range.radiusM,
        c: range.communities.length,
        s: range.shelters.items.length,
        free: range.shelters.freeCapacity,
        d: range.devices.total,
        a: range.devices.alertingTotal,
      },
      lang,
    ),
  ];
  for (const kind of Object.keys(range.nearest) as ResourceKind[]) {
    const list = range.nearest[kind].slice(0, NEAREST_PER_KIND_IN_BRIEFING);
    if (list.length === 0) continue;
    lines.push(
      impactText(
        'impact.briefing.nearest',
        {
          kind: impactText(`impact.kind.${kind}`, undefined, lang),
          list: list.map((r) => `${name(r)} ${distanceText(r.distanceM)} ${impactText('impact.eta', { n: r.etaMin }, lang)}`).join(sep),
        },
        lang,
      ),
    );
  }
  if (assignments.length > 0) {
    const names = new Map(Object.values(range.nearest).flatMap((rs) => rs.map((r) => [r.id, name(r)] as const)));
    lines.push(
      impactText(
        'impact.briefing.assigned',
        { list: assignments.map((a) => `${names.get(a.resourceId) ?? a.resourceId} × ${a.amount}`).join(sep) },
        lang,
      ),
    );
  }
  return lines.join('\n').slice(0, DISPATCH_NOTE_MAX_CHARS);
}

/** The note of the incident's latest dispatch or reassignment: what the handler was sent with (shown on the phone's task). */
export function dispatchNoteOf(incident: Pick<Incident, 'history'>): string | null {
  for (let i = incident.history.length - 1; i >= 0; i--) {
    const step = incident.history[i]!;
    if (step.action === 'dispatch' || step.action === 'reassign') return step.note?.trim() || null;
  }
  return null;
}
