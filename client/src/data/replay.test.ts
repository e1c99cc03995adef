import { describe, expect, it } from 'vitest';
import type { LogEvent } from '@scenes/protocol';
import type { LiveTransport } from '../connection';
import { fetchReplayRange } from './replay';

function event(i: number): LogEvent {
  return { id: `${i}-0`, ts: i, type: 'alert.raised', scene: 'water' };
}

/** A transport whose `replay:range` answers pages of `pageSize` events, refusing the first ask of page 2 once. */
function pagedTransport(total: number, pageSize: number) {
  const asked: unknown[] = [];
  let refusedOnce = false;
  const transport = {
    async request(_event: string, payload: { cursor?: string }) {
      asked.push(payload);
      const start = payload.cursor ? Number(payload.cursor) : 0;
      if (start === pageSize && !refusedOnce) {
        refusedOnce = true;
        return { ok: false, error: { code: 'E_RATE_LIMIT', message: 'slow down', details: { retryAfterMs: 1 } } };
      }
      const events = Array.from({ length: Math.min(pageSize, total - start) }, (_, i) => event(start + i));
      const end = start + events.length;
      return end < total ? { ok: true, events, next: String(end) } : { ok: true, events };
    },
  } as unknown as LiveTransport;
  return { transport, asked };
}

describe('fetchReplayRange', () => {
  it('follows the server pages (next → cursor) and returns every event once, in order', async () => {
    const { transport, asked } = pagedTransport(25, 10);
    const r = await fetchReplayRange({ scene: 'water', fromTs: 0, toTs: 100 }, transport);
    expect(r.ok && r.events.map((e) => e.ts)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // 3 pages plus one ask refused with E_RATE_LIMIT and asked again
    expect(asked).toHaveLength(4);
  });

  it('names the drilled district on every page, and none for the city view', async () => {
    const drilled = pagedTransport(25, 10);
    await fetchReplayRange({ scene: 'water', fromTs: 0, toTs: 100, district: '370203' }, drilled.transport);
    expect(drilled.asked.every((p) => (p as { district?: string }).district === '370203')).toBe(true);
    const city = pagedTransport(5, 10);
    await fetchReplayRange({ scene: 'water', fromTs: 0, toTs: 100, district: null }, city.transport);
    expect(city.asked).toEqual([{ scene: 'water', fromTs: 0, toTs: 100 }]);
  });

  it('gives up with the error after repeated refusals', async () => {
    const transport = {
      request: async () => ({ ok: false, error: { code: 'E_RATE_LIMIT', message: 'no', details: { retryAfterMs: 1 } } }),
    } as unknown as LiveTransport;
    const r = await fetchReplayRange({ scene: 'water', fromTs: 0, toTs: 100 }, transport);
    expect(r).toMatchObject({ ok: false, error: { code: 'E_RATE_LIMIT' } });
  });
});
