import { describe, expect, it } from 'vitest';
import { DEMO_HANDLERS } from '../scenes/city/qingdao';
import { handlerPositionAt, handlerRoute, positionAlongRoute } from './handler-sim';

const METERS_PER_DEG_LAT = 111_195;
function distanceM(a: [number, number], b: [number, number]): number {
  return Math.hypot((a[0] - b[0]) * METERS_PER_DEG_LAT * Math.cos((a[1] * Math.PI) / 180), (a[1] - b[1]) * METERS_PER_DEG_LAT);
}

describe('handler routes', () => {
  it('are closed loops that start at home and stay within ~2 km of it', () => {
    for (const h of DEMO_HANDLERS) {
      const route = handlerRoute(h);
      expect(route[0]).toEqual(route[route.length - 1]);
      expect(distanceM(route[0], h.home)).toBeLessThan(1);
      for (const p of route) expect(distanceM(p, h.home)).toBeLessThan(2000);
    }
  });

  it('move a handler at a plausible speed between 5 s reports', () => {
    const h = DEMO_HANDLERS[0];
    const t0 = Date.UTC(2026, 0, 1);
    const a = handlerPositionAt(h, t0);
    const b = handlerPositionAt(h, t0 + 5000);
    const d = distanceM(a, b);
    expect(d).toBeGreaterThan(5);
    expect(d).toBeLessThanOrEqual(21);
  });

  it('wraps around the loop', () => {
    const route = handlerRoute(DEMO_HANDLERS[1]);
    expect(positionAlongRoute(route, 0)).toEqual(route[0]);
    const total = route.slice(1).reduce((s, p, i) => s + distanceM(route[i], p), 0);
    const again = positionAlongRoute(route, total + 10);
    expect(distanceM(again, positionAlongRoute(route, 10))).toBeLessThan(0.5);
  });
});
