import { booleanClockwise } from '@turf/boolean-clockwise';
import { destination } from '@turf/destination';
import { describe, expect, it } from 'vitest';
import type { Alert, Asset, Device, EmergencyResource, LngLat } from '../domain';
import { generateFleet } from '../fleet';
import { DEFAULT_IMPACT_CONFIG, ImpactConfigSchema, radiusFor, travelMinutes } from './impact-config';
import { impactRange, metresBetween, type ImpactProbe, type ImpactState } from './impact-range';

const CENTER: LngLat = [120.38, 36.07];
const NOW = Date.UTC(2026, 11, 1);
/** the point `m` metres from the centre at `bearing` degrees */
const at = (m: number, bearing = 0): LngLat => destination(CENTER, m, bearing, { units: 'meters' }).geometry.coordinates as LngLat;

const device = (id: string, location: LngLat, kind: Device['kind'] = 'gas-detector'): Device => ({
  id,
  kind,
  scene: 'emergency',
  name: id,
  location,
  district: '370202',
});
const resource = (id: string, kind: EmergencyResource['kind'], location: LngLat, capacity: number, available: number): EmergencyResource => ({
  id,
  kind,
  name: id,
  nameEn: id,
  district: '370202',
  location,
  capacity,
  available,
});
const alert = (deviceId: string, level: Alert['level'], cleared = false): Alert => ({
  id: `${deviceId}|r|${NOW}`,
  deviceId,
  deviceKind: 'gas-detector',
  ruleId: 'r',
  scene: 'emergency',
  district: '370202',
  location: CENTER,
  level,
  peakLevel: level,
  cleared,
  acknowledged: false,
  firstTs: NOW,
  lastTs: NOW,
  count: 1,
  title: 't',
  titleEn: 't',
});

const square = (c: LngLat, halfM: number): LngLat[][] => {
  const n = destination(c, halfM, 0, { units: 'meters' }).geometry.coordinates[1]!;
  const s = destination(c, halfM, 180, { units: 'meters' }).geometry.coordinates[1]!;
  const e = destination(c, halfM, 90, { units: 'meters' }).geometry.coordinates[0]!;
  const w = destination(c, halfM, 270, { units: 'meters' }).geometry.coordinates[0]!;
  return [
    [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ],
  ];
};

const assets: Asset[] = [
  // a community whose square reaches into the circle from outside (its centre is 600 m east, half-side 150 m)
  {
    id: 'c-edge',
    kind: 'community',
    scene: 'community',
    name: '边缘社区',
    nameEn: 'Edge',
    district: '370202',
    geometry: { type: 'Polygon', coordinates: square(at(600, 90), 150) },
    props: {},
  },
  // a community well outside (1.5 km, half-side 150 m)
  {
    id: 'c-far',
    kind: 'community',
    scene: 'community',
    name: '远社区',
    nameEn: 'Far',
    district: '370202',
    geometry: { type: 'Polygon', coordinates: square(at(1500, 90), 150) },
    props: {},
  },
  // the community the centre lies in
  {
    id: 'c-home',
    kind: 'community',
    scene: 'community',
    name: '本社区',
    nameEn: 'Home',
    district: '370202',
    geometry: { type: 'Polygon', coordinates: square(CENTER, 100) },
    props: { facility: 'school' },
  },
  {
    id: 'well-in',
    kind: 'pipe-well',
    scene: 'emergency',
    name: '井',
    nameEn: 'Well',
    district: '370202',
    geometry: { type: 'Point', coordinates: at(490, 45) },
    props: {},
  },
  {
    id: 'well-out',
    kind: 'pipe-well',
    scene: 'emergency',
    name: '井2',
    nameEn: 'Well 2',
    district: '370202',
    geometry: { type: 'Point', coordinates: at(510, 45) },
    props: {},
  },
  // a pipe 700 m north running east–west, its ends ~1.06 km away: crossed by a 900 m circle with no vertex inside
  {
    id: 'pipe-cross',
    kind: 'pipe-segment',
    scene: 'water',
    name: '管',
    nameEn: 'Pipe',
    district: '370202',
    geometry: {
      type: 'LineString',
      coordinates: [
        destination(at(700, 0), 800, 270, { units: 'meters' }).geometry.coordinates as LngLat,
        destination(at(700, 0), 800, 90, { units: 'meters' }).geometry.coordinates as LngLat,
      ],
    },
    props: {},
  },
];

const state = (devices: Device[], alerts: Alert[] = [], resources: EmergencyResource[] = []): ImpactState => ({
  devices: new Map(devices.map((d) => [d.id, d])),
  alerts,
  assets,
  resources,
});

describe('impact range geometry', () => {
  it('draws the circle of the category radius, counterclockwise and closed (RFC 7946)', () => {
    const r = impactRange({ center: CENTER, category: 'gas-leak', nowTs: NOW }, state([]));
    expect(r.radiusM).toBe(500);
    const ring = r.polygon.coordinates[0]!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    expect(booleanClockwise(ring)).toBe(false);
    for (const p of ring) expect(metresBetween(CENTER, p)).toBeCloseTo(500, -1);
  });

  it('takes the radius per category, the default for others, and clamps a chosen radius', () => {
    expect(radiusFor('fire')).toBe(800);
    expect(radiusFor('waterlogging')).toBe(300);
    expect(radiusFor('elevator')).toBe(DEFAULT_IMPACT_CONFIG.defaultRadiusM);
    expect(radiusFor('fire', DEFAULT_IMPACT_CONFIG, 1)).toBe(DEFAULT_IMPACT_CONFIG.minRadiusM);
    expect(radiusFor('fire', DEFAULT_IMPACT_CONFIG, 1e9)).toBe(DEFAULT_IMPACT_CONFIG.maxRadiusM);
  });

  it('refuses a configuration with a radius range upside down', () => {
    expect(ImpactConfigSchema.safeParse({ ...DEFAULT_IMPACT_CONFIG, minRadiusM: 900, maxRadiusM: 100 }).success).toBe(false);
  });

  it('counts a device 490 m away and not one 510 m away; lists the alerting ones worst first', () => {
    const devices = [device('in-a', at(490, 0)), device('in-b', at(300, 200), 'water-level'), device('out', at(510, 0)), device('in-c', at(10, 90))];
    const alerts = [alert('in-a', 'yellow'), alert('in-c', 'red'), alert('in-a', 'orange'), alert('out', 'red'), alert('in-b', 'red', true)];
    const r = impactRange({ center: CENTER, category: 'gas-leak', nowTs: NOW }, state(devices, alerts));
    expect(r.devices.total).toBe(3);
    expect(r.devices.countByKind).toEqual({ 'gas-detector': 2, 'water-level': 1 });
    expect(r.devices.alerting.map((d) => [d.id, d.level])).toEqual([
      ['in-c', 'red'],
      ['in-a', 'orange'],
    ]);
    expect(r.devices.alertingTotal).toBe(2);
  });

  it('finds assets that lie in or cross the circle, nearest first, and no others', () => {
    const r = impactRange({ center: CENTER, category: 'gas-leak', nowTs: NOW }, state([]));
    expect(r.assets.countByKind).toEqual({ community: 2, 'pipe-well': 1 });
    expect(r.assets.items.map((a) => a.id)).toEqual(['c-home', 'c-edge', 'well-in']);
    expect(r.communities.map((c) => [c.id, c.distanceM])).toEqual([
      ['c-home', 0],
      ['c-edge', expect.closeTo(450, -1) as unknown as number],
    ]);
    // a wider radius takes the pipe that crosses without a vertex inside
    const wide = impactRange({ center: CENTER, category: 'gas-leak', radiusM: 900, nowTs: NOW }, state([]));
    expect(wide.assets.countByKind['pipe-segment']).toBe(1);
  });

  it('lists schools/hospitals only where an asset marks them, and says when none is known', () => {
    const r = impactRange({ center: CENTER, category: 'gas-leak', nowTs: NOW }, state([]));
    expect(r.facilities).toMatchObject({ known: true, items: [{ id: 'c-home', facility: 'school' }] });
    const none = impactRange({ center: CENTER, category: 'gas-leak', nowTs: NOW }, { ...state([]), assets: assets.filter((a) => a.id !== 'c-home') });
    expect(none.facilities).toEqual({ known: false, items: [] });
  });

  it('sums the free places of the shelters inside and ranks the nearest resources anywhere with ETAs', () => {
    const resources = [
      resource('sh-near', 'shelter', at(200, 0), 300, 100),
      resource('sh-edge', 'shelter', at(495, 180), 80, 50),
      resource('sh-out', 'shelter', at(600, 90), 1000, 1000),
      resource('team-4k', 'rescue-team', at(4000, 10), 30, 30),
      resource('team-1k', 'rescue-team', at(1000, 10), 30, 0),
      resource('team-3k', 'rescue-team', at(3000, 10), 30, 20),
      resource('team-2k', 'rescue-team', at(2000, 10), 30, 25),
      resource('depot', 'supply-depot', at(5000, 10), 500, 400),
    ];
    const r = impactRange({ center: CENTER, category: 'gas-leak', nowTs: NOW }, state([], [], resources));
    expect(r.shelters.items.map((s) => s.id)).toEqual(['sh-near', 'sh-edge']);
    expect(r.shelters.freeCapacity).toBe(150);
    expect(r.nearest['rescue-team'].map((t) => t.id)).toEqual(['team-1k', 'team-2k', 'team-3k']);
    expect(r.nearest['rescue-team'][0]).toMatchObject({ distanceM: 1000, etaMin: 3, available: 0 });
    expect(r.nearest['supply-depot'].map((t) => t.id)).toEqual(['depot']);
    expect(r.nearest.shelter.map((t) => t.id)).toEqual(['sh-near', 'sh-edge', 'sh-out']);
  });

  it('estimates travel by road: straight line × road factor at the urban speed, at least a minute', () => {
    expect(travelMinutes(1000)).toBe(3); // 1.3 km at 30 km/h = 2.6 min
    expect(travelMinutes(10)).toBe(1);
    expect(travelMinutes(10_000)).toBe(26);
  });

  it('measures only the devices in the bounding box: 100k devices cost a few hundred distances', () => {
    const fleet = generateFleet({ count: 100_000, seed: 7 });
    const probe: ImpactProbe = { deviceDistances: 0 };
    const r = impactRange({ center: CENTER, category: 'gas-leak', nowTs: NOW }, state(fleet), DEFAULT_IMPACT_CONFIG, probe);
    const brute = fleet.filter((d) => metresBetween(CENTER, d.location) <= 500).length;
    expect(r.devices.total).toBe(brute);
    expect(probe.deviceDistances).toBeGreaterThanOrEqual(brute);
    expect(probe.deviceDistances).toBeLessThan(2000);
  });
});
