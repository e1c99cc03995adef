/**
 * Event log ranges for replay and incident history: `replay:range` over the live connection.
 */
import type { DistrictCode, Incident, ScreenSceneId } from '@scenes/domain';
import type { IocError, LogEvent } from '@scenes/protocol';
import { currentLiveConnection } from '../connection';
import { incidentFromEvents } from '../replay/incident-from-events';
import type { LiveTransport } from '../connection';

export type ReplayRangeResult = { ok: true; events: LogEvent[] } | { ok: false; error: IocError };

/** a range is fetched in at most this many pages (the server bounds each page in events and bytes) */
const REPLAY_MAX_PAGES = 400;
/** a page refused with E_RATE_LIMIT is asked again at most this many times in a row */
const REPLAY_RATE_LIMIT_RETRIES = 8;
/** wait before asking again when the server does not say how long, ms */
const REPLAY_DEFAULT_RETRY_MS = 500;

function retryAfterMsOf(error: IocError): number {
  const d = error.details as { retryAfterMs?: unknown } | undefined;
  return typeof d?.retryAfterMs === 'number' && d.retryAfterMs > 0 ? d.retryAfterMs : REPLAY_DEFAULT_RETRY_MS;
}

/** The events a replay asks for: a scene's (`overview` = every scene), in a time range, maybe of one district. */
export interface ReplayRange {
  scene: ScreenSceneId;
  /** epoch ms (server clock) */
  fromTs: number;
  /** epoch ms (server clock) */
  toTs: number;
  /** a drilled view's district: the server narrows the viewer's scope to it (refused outside it) */
  district?: DistrictCode | null;
}

/** Every event of the range, fetched page by page (`next` → `cursor`), oldest first. */
export async function fetchReplayRange(range: ReplayRange, transport: LiveTransport | null = currentLiveConnection()): Promise<ReplayRangeResult> {
  if (!transport) return { ok: false, error: { code: 'E_UNAUTHORIZED', message: 'not connected' } };
  const events: LogEvent[] = [];
  let cursor: string | undefined;
  let retries = 0;
  for (let page = 0; page < REPLAY_MAX_PAGES;) {
    const r = await transport.request('replay:range', {
      scene: range.scene,
      fromTs: Math.floor(range.fromTs),
      toTs: Math.ceil(range.toTs),
      ...(range.district ? { district: range.district } : {}),
      ...(cursor ? { cursor } : {}),
    });
    if (!r.ok) {
      if (r.error.code !== 'E_RATE_LIMIT' || ++retries > REPLAY_RATE_LIMIT_RETRIES) return { ok: false, error: r.error };
      await new Promise((resolve) => setTimeout(resolve, retryAfterMsOf(r.error)));
      continue;
    }
    retries = 0;
    page++;
    events.push(...r.events);
    if (!r.next) return { ok: true, events };
    cursor = r.next;
  }
  return { ok: true, events };
}

/** The newest state of `incidentId` in the log since it was created, with the history its events record. */
export async function fetchIncidentFromLog(
  scene: ScreenSceneId,
  incidentId: string,
  createdTs: number,
  nowTs: number,
  transport: LiveTransport | null = currentLiveConnection(),
): Promise<{ ok: true; incident: Incident | null } | { ok: false; error: IocError }> {
  const r = await fetchReplayRange({ scene, fromTs: createdTs, toTs: nowTs }, transport);
  if (!r.ok) return r;
  return { ok: true, incident: incidentFromEvents(r.events, incidentId) };
}
