import { describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { shutdownInOrder } from './shutdown';

const silent = pino({ level: 'silent' });

describe('shutdownInOrder', () => {
  it('stops every part in order when all finish', async () => {
    const order: string[] = [];
    const outcome = await shutdownInOrder(
      [
        { name: 'a', stop: async () => void order.push('a') },
        { name: 'b', stop: () => void order.push('b') },
        { name: 'c', stop: () => undefined },
      ],
      silent,
      1_000,
    );
    expect(order).toEqual(['a', 'b']);
    expect(outcome).toEqual({ timedOut: [], failed: [] });
  });

  it('a part that never stops is cut at its bound, named, and the later parts still stop', async () => {
    const warn = vi.fn();
    const log = Object.assign(pino({ level: 'silent' }), { warn });
    const onTimeout = vi.fn();
    let storeClosed = false;
    const outcome = await shutdownInOrder(
      [
        { name: 'http', stop: () => new Promise<void>(() => undefined), onTimeout },
        { name: 'store', stop: async () => void (storeClosed = true) },
      ],
      log,
      30,
    );
    expect(outcome.timedOut).toEqual(['http']);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(storeClosed).toBe(true);
    expect(warn.mock.calls[0]?.[0]).toMatchObject({ part: 'http' });
  });

  it('a part that throws or rejects is named and does not stop the rest', async () => {
    const stopped: string[] = [];
    const outcome = await shutdownInOrder(
      [
        {
          name: 'sync-throw',
          stop: () => {
            throw new Error('boom');
          },
        },
        { name: 'reject', stop: () => Promise.reject(new Error('gone')) },
        { name: 'store', stop: () => void stopped.push('store') },
      ],
      silent,
      1_000,
    );
    expect(outcome.failed).toEqual(['sync-throw', 'reject']);
    expect(stopped).toEqual(['store']);
  });
});
