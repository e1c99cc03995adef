/**
 * Dispatch recommendations: which field handlers an officer should send to an incident.
 *
 * Order (the console shows it as is): available handlers first (idle beats busy beats off duty),
 * then those whose skills include the incident's category, then the nearest (great-circle
 * distance), then by id so equal candidates keep a stable order. ETA is distance over an urban
 * driving speed: a planning figure, not routing.
 *
 * Pure: the handler list and "now" come in as arguments.
 */
import { distance } from '@turf/distance';
import type { Handler, HandlerStatus, Incident, LngLat } from '../scenes/domain';

export interface DispatchOptions {
  /** average urban travel speed used for ETAs, km/h */
  urbanSpeedKmh: number;
  /** a position older than this (ms) still counts, but the recommendation says it is stale */
  positionStaleAfterMs: number;
  /** at most this many recommendations */
  maxRecommendations: number;
}

export const DEFAULT_DISPATCH_OPTIONS: DispatchOptions = {
  urbanSpeedKmh: 30,
  positionStaleAfterMs: 5 * 60_000,
  maxRecommendations: 20,
};

import type { HandlerRecommendation } from '../scenes/protocol';
export type { HandlerRecommendation };

const STATUS_RANK: Record<HandlerStatus, number> = { idle: 0, busy: 1, off_duty: 2 };
const METRES_PER_KM = 1000;
const MINUTES_PER_HOUR = 60;

/** Great-circle distance between two WGS84 points, m. */
export function distanceBetweenM(a: LngLat, b: LngLat): number {
  return distance(a, b, { units: 'kilometers' }) * METRES_PER_KM;
}

/** Minutes to cover `distanceM` at `speedKmh`, rounded up to a whole minute (at least 1). */
export function etaMinutes(distanceM: number, speedKmh: number): number {
  return Math.max(1, Math.ceil((distanceM / METRES_PER_KM / speedKmh) * MINUTES_PER_HOUR));
}

/** Rank handlers for `incident`: available, skilled, nearest first. */
export function recommendHandlers(
  incident: Pick<Incident, 'category' | 'location' | 'assignees'>,
  handlers: readonly Handler[],
  nowTs: number,
  opts: DispatchOptions = DEFAULT_DISPATCH_OPTIONS,
): HandlerRecommendation[] {
  const out = handlers.map((h): HandlerRecommendation => {
    const distanceM = h.location ? Math.round(distanceBetweenM(h.location, incident.location)) : null;
    return {
      handlerId: h.id,
      name: h.name,
      team: h.team,
      status: h.status,
      skillMatch: h.skills.includes(incident.category),
      distanceM,
      etaMin: distanceM === null ? null : etaMinutes(distanceM, opts.urbanSpeedKmh),
      locationTs: h.locationTs,
      positionStale: h.locationTs === 0 || nowTs - h.locationTs > opts.positionStaleAfterMs,
      assigned: incident.assignees.includes(h.id),
    };
  });
  out.sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      Number(b.skillMatch) - Number(a.skillMatch) ||
      (a.distanceM ?? Number.POSITIVE_INFINITY) - (b.distanceM ?? Number.POSITIVE_INFINITY) ||
      a.handlerId.localeCompare(b.handlerId),
  );
  return out.slice(0, opts.maxRecommendations);
}
