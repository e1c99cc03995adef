import { describe, expect, it } from 'vitest';
import type { DistrictCode, LngLat } from '@scenes/domain';
import { districtOf } from '@scenes/geo/districts';
import type { HistoryArea } from './history-area';
import { useAreaDrawing } from './use-area-drawing';

function drawing() {
  const areas: HistoryArea[] = [];
  const districts: DistrictCode[] = [];
  const d = useAreaDrawing({ area: (a) => areas.push(a), district: (c) => districts.push(c) });
  return { d, areas, districts };
}

describe('drawing an area on the history map', () => {
  it('finishes a rectangle on the second corner and goes back to panning', () => {
    const { d, areas } = drawing();
    d.choose('rect');
    d.click([120.45, 36.02]);
    expect(areas).toEqual([]);
    d.hover([120.4, 36.1]);
    expect(d.previewRings.value).toHaveLength(1);
    d.click([120.3, 36.12]);
    expect(areas).toEqual([{ kind: 'bbox', bbox: [120.3, 36.02, 120.45, 36.12] }]);
    expect(d.tool.value).toBe('pan');
    expect(d.draft.value).toEqual([]);
  });

  it('keeps waiting for the opposite corner after a second click on the first one', () => {
    const { d, areas } = drawing();
    d.choose('rect');
    d.click([120.3, 36.05]);
    d.click([120.3, 36.05]);
    expect(areas).toEqual([]);
    expect(d.notice.value).not.toBe('');
    d.click([120.4, 36.1]);
    expect(areas).toHaveLength(1);
  });

  it('closes a polygon of the clicked vertices (a double-click adds its point once), refusing fewer than 3', () => {
    const { d, areas } = drawing();
    d.choose('polygon');
    const pts: LngLat[] = [
      [120.3, 36.05],
      [120.4, 36.05],
    ];
    for (const p of pts) d.click(p);
    d.finishPolygon();
    expect(areas).toEqual([]);
    expect(d.notice.value).not.toBe('');
    d.click([120.35, 36.1]);
    d.click([120.35, 36.1]);
    d.finishPolygon();
    expect(areas).toEqual([{ kind: 'polygon', ring: [...pts, [120.35, 36.1]] }]);
    expect(d.tool.value).toBe('pan');
  });

  it('picks the district under a click, and says so when there is none', () => {
    const { d, districts } = drawing();
    d.choose('district');
    d.click([125, 30]);
    expect(districts).toEqual([]);
    expect(d.notice.value).not.toBe('');
    d.click([120.38, 36.07]);
    expect(districts).toEqual([districtOf([120.38, 36.07])]);
    expect(districts[0]).toMatch(/^3702\d\d$/);
  });

  it('ignores clicks while panning, and a second choice of the same tool puts it down', () => {
    const { d, areas } = drawing();
    d.click([120.3, 36.05]);
    d.choose('polygon');
    d.click([120.3, 36.05]);
    d.choose('polygon');
    expect(d.tool.value).toBe('pan');
    expect(d.draft.value).toEqual([]);
    expect(areas).toEqual([]);
  });
});
