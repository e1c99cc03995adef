/**
 * Event log ranges for replay and incident history: `replay:range` over the live connection.
 */
import type { ScreenSceneId } from '@scenes/domain';
import type { Incident } from '@scenes/domain';
import type { IocError, LogEvent } from '@scenes/protocol';
import { currentLiveConnection } from '../connection';
import type { LiveTransport } from '../connection';

export type ReplayRangeResult = { ok: true; events: LogEvent[] } | { ok: false; error: IocError };

export async function fetchReplayRange(
  scene: ScreenSceneId,
  fromTs: number,
  toTs: number,
  transport: LiveTransport | null = currentLiveConnection(),
): Promise<ReplayRangeResult> {
  if (!transport) return { ok: false, error: { code: 'E_UNAUTHORIZED', message: 'not connected' } };
  const r = await transport.request('replay:range', { scene, fromTs: Math.floor(fromTs), toTs: Math.ceil(toTs) });
  return r.ok ? { ok: true, events: r.events } : { ok: false, error: r.error };
}

/** The newest full incident object of `incidentId` in the log since it was created (for its history). */
export async function fetchIncidentFromLog(
  scene: ScreenSceneId,
  incidentId: string,
  createdTs: number,
  nowTs: number,
  transport: LiveTransport | null = currentLiveConnection(),
): Promise<{ ok: true; incident: Incident | null } | { ok: false; error: IocError }> {
  const r = await fetchReplayRange(scene, createdTs, nowTs, transport);
  if (!r.ok) return r;
  let newest: Incident | null = null;
  for (const e of r.events) {
    if (e.incident && e.incident.id === incidentId && (!newest || e.incident.version >= newest.version)) newest = e.incident;
  }
  return { ok: true, incident: newest };
}
