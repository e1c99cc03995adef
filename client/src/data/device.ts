/**
 * Device detail for the map's detail card: `device:detail` over the live connection.
 */
import type { DeviceDetail, IocError } from '@scenes/protocol';
import { currentLiveConnection } from '../connection';
import type { LiveTransport } from '../connection';

export type DeviceDetailResult = { ok: true; detail: DeviceDetail } | { ok: false; error: IocError };

export async function fetchDeviceDetail(
  deviceId: string,
  transport: LiveTransport | null = currentLiveConnection(),
): Promise<DeviceDetailResult> {
  if (!transport) return { ok: false, error: { code: 'E_UNAUTHORIZED', message: 'not connected' } };
  const r = await transport.request('device:detail', { deviceId });
  return r.ok ? { ok: true, detail: r.detail } : { ok: false, error: r.error };
}
