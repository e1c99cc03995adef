import { describe, expect, it } from 'vitest';
import type { Handler, Incident, LngLat } from '../scenes/domain';
import { DEFAULT_DISPATCH_OPTIONS, distanceBetweenM, etaMinutes, recommendHandlers } from './dispatch';

const NOW = 1_750_000_000_000;
const SITE: LngLat = [120.38, 36.07];
const incident: Pick<Incident, 'category' | 'location' | 'assignees'> = { category: 'gas-leak', location: SITE, assignees: [] };

function handler(id: string, over: Partial<Handler> = {}): Handler {
  return { id, name: id, team: 't', skills: [], location: SITE, locationTs: NOW - 1000, status: 'idle', ...over };
}

/** ~1.1 km north of the site per 0.01° latitude */
function north(deg: number): LngLat {
  return [SITE[0], SITE[1] + deg];
}

describe('recommendHandlers', () => {
  it('puts available handlers before busy ones and off-duty ones last, even when they are farther', () => {
    const r = recommendHandlers(
      incident,
      [
        handler('off', { status: 'off_duty', location: SITE, skills: ['gas-leak'] }),
        handler('busy', { status: 'busy', location: north(0.001), skills: ['gas-leak'] }),
        handler('idle', { status: 'idle', location: north(0.05), skills: ['gas-leak'] }),
      ],
      NOW,
    );
    expect(r.map((x) => x.handlerId)).toEqual(['idle', 'busy', 'off']);
  });

  it('prefers the right skill for the incident category over a nearer handler without it', () => {
    const r = recommendHandlers(
      incident,
      [handler('near', { location: north(0.001) }), handler('skilled', { location: north(0.05), skills: ['gas-leak'] })],
      NOW,
    );
    expect(r[0]).toMatchObject({ handlerId: 'skilled', skillMatch: true });
    expect(r[1]).toMatchObject({ handlerId: 'near', skillMatch: false });
  });

  it('orders equally available and skilled handlers nearest first, with distance in metres and an ETA', () => {
    const r = recommendHandlers(
      incident,
      [handler('far', { location: north(0.1), skills: ['gas-leak'] }), handler('near', { location: north(0.01), skills: ['gas-leak'] })],
      NOW,
    );
    expect(r.map((x) => x.handlerId)).toEqual(['near', 'far']);
    expect(r[0]!.distanceM).toBeGreaterThan(1000);
    expect(r[0]!.distanceM).toBeLessThan(1200);
    // 1.1 km at 30 km/h ≈ 2.2 min → 3 min
    expect(r[0]!.etaMin).toBe(etaMinutes(r[0]!.distanceM!, DEFAULT_DISPATCH_OPTIONS.urbanSpeedKmh));
    expect(r[1]!.etaMin!).toBeGreaterThan(r[0]!.etaMin!);
  });

  it('ranks handlers without a known position after those with one and gives them no distance', () => {
    const r = recommendHandlers(
      incident,
      [handler('nowhere', { location: null, skills: ['gas-leak'] }), handler('somewhere', { location: north(0.2), skills: ['gas-leak'] })],
      NOW,
    );
    expect(r.map((x) => x.handlerId)).toEqual(['somewhere', 'nowhere']);
    expect(r[1]).toMatchObject({ distanceM: null, etaMin: null });
  });

  it('marks stale positions and handlers already assigned', () => {
    const r = recommendHandlers(
      { ...incident, assignees: ['a'] },
      [handler('a', { locationTs: NOW - DEFAULT_DISPATCH_OPTIONS.positionStaleAfterMs - 1 }), handler('b')],
      NOW,
    );
    const a = r.find((x) => x.handlerId === 'a')!;
    expect(a).toMatchObject({ assigned: true, positionStale: true });
    expect(r.find((x) => x.handlerId === 'b')).toMatchObject({ assigned: false, positionStale: false });
  });

  it('keeps a stable order for identical candidates and caps the list', () => {
    const many = Array.from({ length: 30 }, (_, i) => handler(`h${String(i).padStart(2, '0')}`));
    const r = recommendHandlers(incident, many.slice().reverse(), NOW);
    expect(r).toHaveLength(DEFAULT_DISPATCH_OPTIONS.maxRecommendations);
    expect(r[0]!.handlerId).toBe('h00');
  });

  it('computes great-circle distances and an ETA of at least one minute', () => {
    expect(distanceBetweenM(SITE, SITE)).toBe(0);
    expect(Math.round(distanceBetweenM([120, 36], [120, 37]) / 1000)).toBe(111);
    expect(etaMinutes(0, 30)).toBe(1);
    expect(etaMinutes(15_000, 30)).toBe(30);
  });
});
