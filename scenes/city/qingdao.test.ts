import { describe, expect, it } from 'vitest';
import { INCIDENT_CATEGORIES } from '../catalogue';
import { ASSET_KINDS, DISTRICT_CODES, IdSchema, SCENE_IDS } from '../domain';
import { districtOf, isInQingdaoBounds } from '../geo/districts';
import { assetAnchor, DEMO_HANDLERS, QINGDAO_ASSETS, QINGDAO_RESOURCES } from './qingdao';

describe('Qingdao assets', () => {
  it('have unique, valid ids', () => {
    const ids = QINGDAO_ASSETS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(IdSchema.safeParse(id).success, id).toBe(true);
  });

  it('sit in the district that contains their representative point', () => {
    for (const a of QINGDAO_ASSETS) expect(districtOf(assetAnchor(a)), a.id).toBe(a.district);
  });

  it('lie inside Qingdao with every vertex', () => {
    for (const a of QINGDAO_ASSETS) {
      const g = a.geometry;
      const pts = g.type === 'Point' ? [g.coordinates] : g.type === 'LineString' ? g.coordinates : g.coordinates.flat();
      for (const p of pts) expect(isInQingdaoBounds(p), a.id).toBe(true);
    }
  });

  it('include the agreed inventory: 6 bridges, 5 rivers, 2 reservoirs, ~8 underpasses, 20 pipes, 10 pumps, 3 plants, 30 gas wells, 25 communities', () => {
    const count = (k: string) => QINGDAO_ASSETS.filter((a) => a.kind === k).length;
    expect(count('bridge')).toBe(6);
    expect(count('river')).toBe(5);
    expect(count('reservoir')).toBe(2);
    expect(count('underpass')).toBeGreaterThanOrEqual(8);
    expect(count('pipe-segment')).toBe(20);
    expect(count('pump-station')).toBe(10);
    expect(count('water-plant')).toBe(3);
    expect(count('pipe-well')).toBe(30);
    expect(count('community')).toBe(25);
    for (const a of QINGDAO_ASSETS) {
      expect(ASSET_KINDS).toContain(a.kind);
      expect(SCENE_IDS).toContain(a.scene);
    }
  });

  it('give bridges length and spans, rivers warning and guarantee levels, communities households and elderly', () => {
    for (const a of QINGDAO_ASSETS) {
      if (a.kind === 'bridge')
        expect(a.props).toMatchObject({
          lengthM: expect.any(Number),
          spans: expect.any(Number),
        });
      if (a.kind === 'river') {
        expect(a.props).toMatchObject({
          warningLevelM: expect.any(Number),
          guaranteeLevelM: expect.any(Number),
        });
        expect(Number(a.props.guaranteeLevelM)).toBeGreaterThan(Number(a.props.warningLevelM));
      }
      if (a.kind === 'community')
        expect(a.props).toMatchObject({
          households: expect.any(Number),
          elderly: expect.any(Number),
        });
    }
  });

  it('anchors the Jiaozhou Bay Bridge on its Licang landing and reaches Huangdao', () => {
    const bridge = QINGDAO_ASSETS.find((a) => a.id === 'bridge-jzwdq')!;
    expect(bridge.district).toBe('370213');
    const coords = bridge.geometry.type === 'LineString' ? bridge.geometry.coordinates : [];
    expect(districtOf(coords[coords.length - 1])).toBe('370211');
  });

  it('spread communities over 市南, 市北, 李沧, 崂山, 城阳 and 黄岛', () => {
    const districts = new Set(QINGDAO_ASSETS.filter((a) => a.kind === 'community').map((a) => a.district));
    for (const d of ['370202', '370203', '370213', '370212', '370214', '370211']) expect(districts.has(d as never), d).toBe(true);
  });
});

describe('Qingdao emergency resources', () => {
  it('have unique ids, sit in their district and never have more available than capacity', () => {
    const ids = QINGDAO_RESOURCES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of QINGDAO_RESOURCES) {
      expect(districtOf(r.location), r.id).toBe(r.district);
      expect(r.available).toBeGreaterThanOrEqual(0);
      expect(r.available).toBeLessThanOrEqual(r.capacity);
    }
  });

  it('include ~8 rescue teams, ~6 depots and ~12 shelters', () => {
    const count = (k: string) => QINGDAO_RESOURCES.filter((r) => r.kind === k).length;
    expect(count('rescue-team')).toBe(8);
    expect(count('supply-depot')).toBe(6);
    expect(count('shelter')).toBe(12);
  });
});

describe('demo handlers', () => {
  it('are handler1..handler8 living in Qingdao', () => {
    expect(DEMO_HANDLERS.map((h) => h.id)).toEqual(['handler1', 'handler2', 'handler3', 'handler4', 'handler5', 'handler6', 'handler7', 'handler8']);
    for (const h of DEMO_HANDLERS) expect(DISTRICT_CODES).toContain(districtOf(h.home));
  });

  it('cover every incident category with at least two handlers', () => {
    for (const c of INCIDENT_CATEGORIES) expect(DEMO_HANDLERS.filter((h) => h.skills.includes(c)).length, c).toBeGreaterThanOrEqual(2);
  });
});
