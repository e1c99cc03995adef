import { describe, expect, it } from 'vitest';
import { centeredView, fitBoundsView, initialQingdaoView, QINGDAO_URBAN_BOUNDS } from './view-state';

describe('initial map view', () => {
  it('centres on the Qingdao urban area', () => {
    const v = initialQingdaoView(900, 900);
    expect(v.longitude).toBeCloseTo(120.34, 1);
    expect(v.latitude).toBeGreaterThan(QINGDAO_URBAN_BOUNDS[0][1]);
    expect(v.latitude).toBeLessThan(QINGDAO_URBAN_BOUNDS[1][1]);
  });

  it('zooms in further on a bigger map box, one level per doubling', () => {
    const small = fitBoundsView(QINGDAO_URBAN_BOUNDS, 548, 548, 24);
    const big = fitBoundsView(QINGDAO_URBAN_BOUNDS, 1048, 1048, 24);
    expect(big.zoom - small.zoom).toBeCloseTo(1, 5);
    expect(small.zoom).toBeGreaterThan(9);
    expect(small.zoom).toBeLessThan(12);
  });
});

describe('fits and fly-tos that the wall does not cover', () => {
  const W = 912;
  const H = 928;
  const pad = { top: 128, right: 16, bottom: 80, left: 16 };
  /** screen y of a latitude in a view (px from the top of the map box) */
  function screenY(view: ReturnType<typeof fitBoundsView>, lat: number): number {
    const proj = (l: number) => 256 * (1 - Math.log(Math.tan(Math.PI / 4 + (l * Math.PI) / 360)) / Math.PI) * 2 ** view.zoom;
    return H / 2 + proj(lat) - proj(view.latitude);
  }

  it('frames the urban area inside the padded box: its north edge below the KPI strip, its south edge above the bottom bar', () => {
    const v = initialQingdaoView(W, H, pad);
    expect(screenY(v, QINGDAO_URBAN_BOUNDS[1][1])).toBeGreaterThanOrEqual(pad.top - 0.5);
    expect(screenY(v, QINGDAO_URBAN_BOUNDS[0][1])).toBeLessThanOrEqual(H - pad.bottom + 0.5);
  });

  it('centres a fly-to target in the padded box', () => {
    const p: [number, number] = [120.38, 36.07];
    const v = centeredView(p, 14, pad);
    expect(screenY(v, p[1])).toBeCloseTo(pad.top + (H - pad.top - pad.bottom) / 2, 3);
    expect(centeredView(p, 14, 0).latitude).toBeCloseTo(p[1], 9);
  });
});
