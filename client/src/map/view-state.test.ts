import { describe, expect, it } from 'vitest';
import { fitBoundsView, initialQingdaoView, QINGDAO_URBAN_BOUNDS } from './view-state';

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
