import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assembleHistory } from '@scenes/rollups/history-series';
import { fetchDeviceHistory } from './device-history';

const NOW = Date.UTC(2026, 11, 1, 8, 32);

describe('device history data module', () => {
  const stored = new Map<string, string>();
  let requested: { url: string; auth: string | undefined }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  beforeEach(() => {
    stored.set('ioc.session', JSON.stringify({ token: 'tok-1', role: 'officer', username: 'officer1' }));
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
      removeItem: (k: string) => void stored.delete(k),
    });
    requested = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requested.push({ url, auth: (init.headers as Record<string, string>).authorization });
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    stored.clear();
  });

  it('asks for the window and metric of the device with the session token and returns the validated answer', async () => {
    const history = { deviceId: 'wl:1', metric: 'waterLevel', unit: 'm', window: '7d', ...assembleHistory([], '7d', NOW) };
    answer = { status: 200, body: history };
    const r = await fetchDeviceHistory('wl:1', 'waterLevel', '7d');
    expect(requested).toEqual([{ url: '/api/devices/wl%3A1/readings/history?window=7d&metric=waterLevel', auth: 'Bearer tok-1' }]);
    expect(r).toEqual({ ok: true, history });
  });

  it('refuses an answer that does not match the schema instead of drawing it', async () => {
    answer = {
      status: 200,
      body: { deviceId: 'wl:1', metric: 'waterLevel', window: '7d', bucketMs: 3_600_000, fromTs: 0, toTs: 0, points: [[0, 0, 0, 0, 0]] },
    };
    const r = await fetchDeviceHistory('wl:1', 'waterLevel', '7d');
    expect(r.ok === false && r.error.code).toBe('E_VALIDATION');
  });

  it('passes the server’s typed error through', async () => {
    answer = { status: 403, body: { error: { code: 'E_FORBIDDEN', message: 'outside your data scope' } } };
    const r = await fetchDeviceHistory('wl:1', 'waterLevel', '24h');
    expect(r).toEqual({ ok: false, network: false, error: { code: 'E_FORBIDDEN', message: 'outside your data scope' } });
  });
});
