/**
 * Replay pages filtered by data scope (server/replay-page.ts `include`): events are dropped after
 * reading, so the cursor still walks every event — the pages of a scoped reader hold exactly the
 * in-scope events of the range, in order, none twice, whatever the page size (a page may even be
 * empty and still say where to go on).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DistrictCode } from '../../scenes/domain';
import type { LogEvent } from '../../scenes/protocol';
import { eventInScope, scopeOf } from '../../scenes/scope';
import { readReplayPage } from '../replay-page';
import { MemoryStore } from '../store/memory-store';

const T0 = 1_750_000_000_000;

function alertEvent(ts: number, district: DistrictCode, n: number): Omit<LogEvent, 'id'> {
  return {
    ts,
    type: 'alert.raised',
    scene: 'water',
    alert: {
      id: `dev-${n}|rule|${ts}`,
      deviceId: `dev-${n}`,
      deviceKind: 'water-level',
      ruleId: 'rule',
      scene: 'water',
      district,
      location: [120.38, 36.07],
      level: 'yellow',
      peakLevel: 'yellow',
      cleared: false,
      acknowledged: false,
      firstTs: ts,
      lastTs: ts,
      count: 1,
      title: 't',
      titleEn: 't',
    },
  };
}

async function readAll(store: MemoryStore, include: (e: LogEvent) => boolean, maxEvents: number): Promise<{ events: LogEvent[]; pages: number }> {
  const events: LogEvent[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages < 10_000; pages++) {
    const page = await readReplayPage(
      store,
      { scene: null, fromTs: T0, toTs: T0 + 1_000_000, cursor },
      { replayPageMaxEvents: maxEvents, replayPageMaxBytes: 1_000_000 },
      include,
    );
    if (!page.ok) throw new Error(page.error.message);
    events.push(...page.events);
    if (page.next === undefined) return { events, pages };
    cursor = page.next;
  }
  throw new Error('replay did not end');
}

describe('scoped replay pages', () => {
  it('hold exactly the in-scope events, in order, for any page size and mix of districts', async () => {
    await fc.assert(
      fc.asyncProperty(
        // per event: a time step (0 = same ms as the previous: cursors must count within a ms) and a district
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom<DistrictCode>('370202', '370212')), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (plan, maxEvents) => {
          const store = new MemoryStore();
          let ts = T0;
          for (const [i, [step, district]] of plan.entries()) {
            ts += step;
            await store.appendEvent(alertEvent(ts, district, i));
          }
          const scope = scopeOf({ role: 'officer', username: 'o', districts: ['370202'] });
          const all = await readAll(store, () => true, 1000);
          const scoped = await readAll(store, (e) => eventInScope(scope, e), maxEvents);
          expect(scoped.events.map((e) => e.id)).toEqual(all.events.filter((e) => e.alert!.district === '370202').map((e) => e.id));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers a page with no visible event but a cursor when a whole page is out of scope', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++) await store.appendEvent(alertEvent(T0 + i, '370212', i));
    await store.appendEvent(alertEvent(T0 + 10, '370202', 99));
    const scope = scopeOf({ role: 'officer', username: 'o', districts: ['370202'] });
    const first = await readReplayPage(
      store,
      { scene: null, fromTs: T0, toTs: T0 + 100 },
      { replayPageMaxEvents: 3, replayPageMaxBytes: 1_000_000 },
      (e) => eventInScope(scope, e),
    );
    expect(first).toMatchObject({ ok: true, events: [] });
    expect(first.ok && first.next).toBeTruthy();
    const rest = await readAll(store, (e) => eventInScope(scope, e), 3);
    expect(rest.events.map((e) => e.alert!.deviceId)).toEqual(['dev-99']);
    expect(rest.pages).toBeGreaterThan(1);
  });
});
