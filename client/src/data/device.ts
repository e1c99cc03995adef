/**
 * Device detail for the map's detail card: `device:detail` over the live connection.
 */
import type { DeviceDetail, IncidentReadings, IocError } from '@scenes/protocol';
import { currentLiveConnection } from '../connection';
import type { LiveTransport } from '../connection';

export type DeviceDetailResult = { ok: true; detail: DeviceDetail } | { ok: false; error: IocError };

export async function fetchDeviceDetail(deviceId: string, transport: LiveTransport | null = currentLiveConnection()): Promise<DeviceDetailResult> {
  if (!transport) return { ok: false, error: { code: 'E_UNAUTHORIZED', message: 'not connected' } };
  const r = await transport.request('device:detail', { deviceId });
  return r.ok ? { ok: true, detail: r.detail } : { ok: false, error: r.error };
}

export type IncidentReadingsResult = { ok: true; readings: IncidentReadings } | { ok: false; error: IocError };

/** The readings behind one incident (its device, from before it opened until it closed). */
export async function fetchIncidentReadings(
  incidentId: string,
  transport: LiveTransport | null = currentLiveConnection(),
): Promise<IncidentReadingsResult> {
  if (!transport) return { ok: false, error: { code: 'E_UNAUTHORIZED', message: 'not connected' } };
  const r = await transport.request('incident:readings', { incidentId });
  return r.ok ? { ok: true, readings: r.readings } : { ok: false, error: r.error };
}
