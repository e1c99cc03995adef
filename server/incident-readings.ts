/**
 * The readings behind one incident, for replay: the incident's device (or the device of its first
 * linked alert) from a lead-in before the incident opened until it was closed (or now).
 */
import type { Incident } from '../scenes/domain';
import type { IncidentReadings } from '../scenes/protocol';
import type { Fusion } from './fusion';
import type { Store } from './store/store';

/** readings shown from this long before the incident opened, ms */
export const INCIDENT_READINGS_LEAD_MS = 30 * 60_000;
/** at most this many readings per answer */
export const INCIDENT_READINGS_LIMIT = 2000;

export async function incidentReadings(incident: Incident, fusion: Fusion, store: Store, nowTs: number): Promise<IncidentReadings> {
  const deviceId = incident.deviceId ?? incident.alertIds.map((id) => fusion.getAlert(id)?.deviceId).find((d) => d !== undefined) ?? null;
  const fromTs = incident.createdTs - INCIDENT_READINGS_LEAD_MS;
  const toTs = incident.closedTs ?? nowTs;
  const readings = deviceId ? await store.readReadings([deviceId], fromTs, toTs, INCIDENT_READINGS_LIMIT) : [];
  return { incidentId: incident.id, deviceId, deviceKind: deviceId ? (fusion.devices.get(deviceId)?.kind ?? null) : null, fromTs, toTs, readings };
}
