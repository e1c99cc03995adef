import { describe, expect, it } from 'vitest';
import { computeScreenLayout, SCREEN_DESIGN } from './screen-layout';

describe('computeScreenLayout', () => {
  it('keeps the 1920×1080 design at scale 1 with the map between 480 px panels', () => {
    const l = computeScreenLayout(1920, 1080);
    expect(l.scale).toBe(1);
    expect(l.designWidthPx).toBe(1920);
    expect(l.mapBox.left).toBe(SCREEN_DESIGN.sidePanelWidthPx + 2 * SCREEN_DESIGN.gutterPx);
    expect(l.mapBox.left + l.mapBox.width).toBe(1920 - l.mapBox.left);
    expect(l.mapBox.top).toBe(SCREEN_DESIGN.headerHeightPx);
  });

  it('scales the panel layer down on a 1366×768 laptop and keeps the design aspect', () => {
    const l = computeScreenLayout(1366, 768);
    expect(l.scale).toBeCloseTo(768 / 1080, 5);
    expect(Math.abs(l.designWidthPx - 1920)).toBeLessThan(3);
    expect(l.designHeightPx).toBeCloseTo(1080, 0);
    expect(l.mapBox.width).toBeGreaterThan(600);
  });

  it('doubles everything on a 4K (3840×2160) wall', () => {
    const l = computeScreenLayout(3840, 2160);
    expect(l.scale).toBe(2);
    expect(l.mapBox.left).toBe(2 * (SCREEN_DESIGN.sidePanelWidthPx + 2 * SCREEN_DESIGN.gutterPx));
    expect(l.mapBox.height).toBe(2160 - 2 * (SCREEN_DESIGN.headerHeightPx + SCREEN_DESIGN.tickerHeightPx));
  });

  it('gives a 5760×1080 wide wall extra width to the map, not to the panels', () => {
    const l = computeScreenLayout(5760, 1080);
    expect(l.scale).toBe(1);
    expect(l.designWidthPx).toBe(5760);
    expect(l.mapBox.left).toBe(SCREEN_DESIGN.sidePanelWidthPx + 2 * SCREEN_DESIGN.gutterPx);
    expect(l.mapBox.width).toBe(5760 - 2 * l.mapBox.left);
  });

  it('pads a fit by the KPI strip on top and the bottom bar, scaled with the wall', () => {
    const hd = computeScreenLayout(1920, 1080).mapFitPadding;
    const uhd = computeScreenLayout(3840, 2160).mapFitPadding;
    expect(hd.top).toBeGreaterThanOrEqual(SCREEN_DESIGN.mapCoveredTopPx);
    expect(hd.bottom).toBeGreaterThanOrEqual(SCREEN_DESIGN.mapCoveredBottomPx);
    expect(hd.top).toBeGreaterThan(hd.left);
    expect(uhd.top).toBe(2 * hd.top);
  });

  it('never returns a negative map box for a tiny window', () => {
    const l = computeScreenLayout(200, 100);
    expect(l.mapBox.width).toBeGreaterThanOrEqual(0);
    expect(l.mapBox.height).toBeGreaterThanOrEqual(0);
  });
});
