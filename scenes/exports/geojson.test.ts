import { describe, expect, it } from 'vitest';
import { buildAlertFeatures, buildAssetFeatures, buildDeviceFeatures, buildIncidentFeatures, rewindPolygon, type ExportDeviceInput } from './geojson';
import { makeIncident, T0 } from '../storm/fixtures/storm-fixtures';
import { ACTIVE_ALERT, CLEARED_ALERT } from './export-fixtures';
import type { LngLat } from '../domain';

const device: ExportDeviceInput = {
  id: 'rg-1',
  kind: 'rain-gauge',
  scene: 'water',
  name: '雨量计 1',
  location: [120.38, 36.07],
  district: '370202',
  status: 'active',
  updatedTs: T0,
};

/** Twice the signed area (shoelace): positive = counterclockwise. */
const signedArea = (ring: LngLat[]) => ring.slice(0, -1).reduce((s, p, i) => s + p[0] * ring[i + 1]![1] - ring[i + 1]![0] * p[1], 0);

describe('GeoJSON exports (RFC 7946)', () => {
  it('writes devices as [lng, lat] points with +08:00 times and no crs member or credential', () => {
    const fc = buildDeviceFeatures([{ ...device, token: 'secret' } as ExportDeviceInput, { ...device, id: 'rg-0', status: 'retired' }], () => ({
      online: true,
      lastTs: T0,
    }));
    expect(fc).not.toHaveProperty('crs');
    expect(fc.features).toHaveLength(1);
    const f = fc.features[0]!;
    expect(f.geometry).toEqual({ type: 'Point', coordinates: [120.38, 36.07] });
    expect(f.properties).toMatchObject({ id: 'rg-1', online: true, updatedAt: '2025-07-15T08:00:00+08:00', status: 'active' });
    expect(JSON.stringify(fc)).not.toContain('secret');
  });

  it('rewinds polygons to the right-hand rule: exterior counterclockwise, holes clockwise', () => {
    const cw: LngLat[] = [
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 0],
      [0, 0],
    ];
    const ccwHole: LngLat[] = [
      [0.2, 0.2],
      [0.8, 0.2],
      [0.8, 0.8],
      [0.2, 0.2],
    ];
    const [outer, hole] = rewindPolygon([cw, ccwHole]);
    expect(signedArea(outer!)).toBeGreaterThan(0);
    expect(signedArea(hole!)).toBeLessThan(0);
    const fc = buildAssetFeatures([
      {
        id: 'c-1',
        type: 'community',
        name: '社区',
        district: '370202',
        geometry: { type: 'Polygon', coordinates: [cw] },
        attributes: { households: 10 },
      },
    ]);
    expect(signedArea((fc.features[0]!.geometry as { coordinates: LngLat[][] }).coordinates[0]!)).toBeGreaterThan(0);
  });

  it('exports open incidents only, without usernames', () => {
    const open = makeIncident('INC-1', { assignees: ['handler1'], reportedBy: 'officer1' });
    const closed = makeIncident('INC-2', { state: 'closed', closedTs: T0 });
    const fc = buildIncidentFeatures([open, closed]);
    expect(fc.features.map((f) => f.id)).toEqual(['INC-1']);
    expect(fc.features[0]!.properties).toMatchObject({ assigneeCount: 1, createdAt: '2025-07-15T08:00:00+08:00' });
    expect(JSON.stringify(fc)).not.toMatch(/handler1|officer1/);
  });

  it('exports active alerts only (a cleared one is not active)', () => {
    const fc = buildAlertFeatures([ACTIVE_ALERT, CLEARED_ALERT]);
    expect(fc.features.map((f) => f.id)).toEqual([ACTIVE_ALERT.id]);
    expect(fc.features[0]!.properties).toMatchObject({ level: 'red', metric: 'rain1hMm', value: 62.5 });
  });
});

describe('OGC candidates', () => {
  it('select by the same rules as the GeoJSON layers and build the same features', async () => {
    const { alertCandidates, incidentCandidates, deviceCandidates } = await import('./ogc-candidates');
    expect(alertCandidates([ACTIVE_ALERT, CLEARED_ALERT]).map((c) => c.feature())).toEqual(
      buildAlertFeatures([ACTIVE_ALERT, CLEARED_ALERT]).features,
    );
    const incidents = [makeIncident('INC-2'), makeIncident('INC-1'), makeIncident('INC-3', { state: 'closed' })];
    expect(incidentCandidates(incidents).map((c) => c.feature())).toEqual(buildIncidentFeatures(incidents).features);
    expect(deviceCandidates([device], () => undefined)[0]).toMatchObject({ bbox: [120.38, 36.07, 120.38, 36.07], span: [T0, T0] });
  });
});
