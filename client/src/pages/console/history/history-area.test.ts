import { describe, expect, it } from 'vitest';
import type { LngLat } from '@scenes/domain';
import { IncidentHistoryRequestSchema } from '@scenes/history/history-query';
import { EMPTY_HISTORY_FILTER, historyQueryString } from '../../../data/history';
import {
  addVertex,
  AREA_MAX_VERTICES,
  areaBounds,
  areaFromQuery,
  areaSearchFields,
  closePolygon,
  rectangleFromCorners,
  rectangleRing,
  withAreaQuery,
  type HistoryArea,
} from './history-area';

const NOW = Date.UTC(2026, 5, 10, 3, 30);
const TRIANGLE: LngLat[] = [
  [120.3, 36.05],
  [120.4, 36.05],
  [120.35, 36.1],
];

/** n distinct vertices on a small circle */
function ringOf(n: number): LngLat[] {
  return Array.from({ length: n }, (_, k) => [120.38 + 0.05 * Math.cos((2 * Math.PI * k) / n), 36.07 + 0.05 * Math.sin((2 * Math.PI * k) / n)]);
}

describe('history area helpers', () => {
  it('spans a rectangle from two corners in either order, rounded to about a metre', () => {
    expect(rectangleFromCorners([120.450001234, 36.02], [120.3, 36.12])).toEqual([120.3, 36.02, 120.45, 36.12]);
    expect(rectangleFromCorners([120.3, 36.12], [120.45, 36.02])).toEqual([120.3, 36.02, 120.45, 36.12]);
    expect(rectangleRing([120.3, 36.02, 120.45, 36.12])).toEqual([
      [120.3, 36.02],
      [120.45, 36.02],
      [120.45, 36.12],
      [120.3, 36.12],
    ]);
  });

  it('refuses a rectangle without width or height (two clicks on one spot)', () => {
    expect(rectangleFromCorners([120.3, 36.05], [120.3, 36.1])).toBeNull();
    expect(rectangleFromCorners([120.3, 36.05], [120.300001, 36.050001])).toBeNull();
  });

  it('adds a clicked vertex once (the second click of a double-click adds nothing) and stops at the server limit', () => {
    const one = addVertex([], [120.300001, 36.05]);
    expect(one).toEqual({ ok: true, vertices: [[120.3, 36.05]] });
    expect(addVertex(one.ok ? one.vertices : [], [120.3, 36.05])).toEqual({ ok: true, vertices: [[120.3, 36.05]] });
    expect(addVertex(ringOf(AREA_MAX_VERTICES - 1), [121, 36]).ok).toBe(true);
    expect(addVertex(ringOf(AREA_MAX_VERTICES), [121, 36])).toEqual({ ok: false, problem: 'too_many' });
  });

  it('closes a polygon: drops repeated neighbours and a closing vertex, needs 3 to the server limit', () => {
    expect(closePolygon([...TRIANGLE, TRIANGLE[2]!, TRIANGLE[0]!])).toEqual({ ok: true, ring: TRIANGLE });
    expect(closePolygon([TRIANGLE[0]!, TRIANGLE[1]!, TRIANGLE[1]!])).toEqual({ ok: false, problem: 'too_few' });
    expect(closePolygon(ringOf(AREA_MAX_VERTICES)).ok).toBe(true);
    expect(closePolygon(ringOf(AREA_MAX_VERTICES + 1))).toEqual({ ok: false, problem: 'too_many' });
  });

  it('round-trips an area through the URL query, keeping other parameters', () => {
    const areas: HistoryArea[] = [
      { kind: 'bbox', bbox: [120.3, 36.02, 120.45, 36.12] },
      { kind: 'polygon', ring: TRIANGLE },
    ];
    for (const area of areas) {
      const query = withAreaQuery({ tab: 'x', bbox: '1,2,3,4', polygon: 'stale' }, area);
      expect(query.tab).toBe('x');
      expect(Object.keys(query).filter((k) => k === 'bbox' || k === 'polygon')).toEqual([area.kind]);
      expect(areaFromQuery(query)).toEqual({ kind: 'area', area });
    }
    expect(withAreaQuery({ tab: 'x', polygon: 'a' }, null)).toEqual({ tab: 'x' });
    expect(areaFromQuery({})).toEqual({ kind: 'none' });
  });

  it('reads a link the server would refuse as invalid, naming too many vertices', () => {
    const many = ringOf(AREA_MAX_VERTICES + 1)
      .map((p) => p.join(','))
      .join(';');
    expect(areaFromQuery({ polygon: many })).toEqual({ kind: 'invalid', problem: 'too_many' });
    expect(areaFromQuery({ polygon: '120.3,36;120.4,36' })).toEqual({ kind: 'invalid', problem: 'too_few' });
    expect(areaFromQuery({ bbox: '120.5,36,120.3,36.2' })).toEqual({ kind: 'invalid', problem: 'malformed' });
    expect(areaFromQuery({ bbox: '120.3,36,120.5,36.2', polygon: '120.3,36;120.4,36;120.4,36.1' })).toEqual({
      kind: 'invalid',
      problem: 'malformed',
    });
  });

  it('sends a drawn area as the bbox or polygon the server validates', () => {
    const polygon = areaSearchFields({ kind: 'polygon', ring: TRIANGLE });
    const q = Object.fromEntries(new URLSearchParams(historyQueryString({ ...EMPTY_HISTORY_FILTER, ...polygon }, NOW)));
    expect(q.polygon).toBe('120.3,36.05;120.4,36.05;120.35,36.1');
    expect('bbox' in q).toBe(false);
    const parsed = IncidentHistoryRequestSchema.safeParse(q);
    expect(parsed.success && parsed.data.polygon).toEqual(TRIANGLE);
    const box = areaSearchFields({ kind: 'bbox', bbox: [120.3, 36.02, 120.45, 36.12] });
    const qb = Object.fromEntries(new URLSearchParams(historyQueryString({ ...EMPTY_HISTORY_FILTER, ...box }, NOW)));
    expect(qb.bbox).toBe('120.3,36.02,120.45,36.12');
    expect('polygon' in qb).toBe(false);
  });

  it('bounds an area for fitting the map', () => {
    expect(areaBounds({ kind: 'polygon', ring: TRIANGLE })).toEqual([
      [120.3, 36.05],
      [120.4, 36.1],
    ]);
  });
});
