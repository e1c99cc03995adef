import { describe, expect, it } from 'vitest';
import type { RegistryDevice } from '../../data/registry';
import { EMPTY_DEVICE_FILTER, filterDevices, NO_ASSET, pageOf, parseLngLat } from './registry-table';

function device(i: number, extra: Partial<RegistryDevice> = {}): RegistryDevice {
  return {
    id: `dev-${i}`,
    version: 1,
    kind: i % 2 ? 'strain-gauge' : 'water-level',
    scene: i % 2 ? 'bridge' : 'water',
    name: `设备 ${i}`,
    location: [120.4, 36.1],
    district: i % 3 ? '370202' : '370212',
    status: i % 5 ? 'active' : 'maintenance',
    maintenance: [],
    createdTs: 0,
    updatedTs: 0,
    updatedBy: 'seed',
    ...(i % 4 ? { assetId: `asset-${i % 4}` } : {}),
    ...extra,
  };
}

const fleet = Array.from({ length: 20_000 }, (_, i) => device(i));

describe('registry table', () => {
  it('filters 20,000 devices by kind, district, status and asset together', () => {
    const out = filterDevices(fleet, { ...EMPTY_DEVICE_FILTER, kind: 'strain-gauge', district: '370202', status: 'active', assetId: 'asset-1' });
    expect(out.length).toBeGreaterThan(0);
    for (const d of out) expect([d.kind, d.district, d.status, d.assetId]).toEqual(['strain-gauge', '370202', 'active', 'asset-1']);
    expect(filterDevices(fleet, { ...EMPTY_DEVICE_FILTER, assetId: NO_ASSET }).every((d) => d.assetId === undefined)).toBe(true);
  });

  it('searches ids and names case-insensitively', () => {
    expect(filterDevices(fleet, { ...EMPTY_DEVICE_FILTER, search: 'DEV-1999' }).map((d) => d.id)).toEqual([
      'dev-1999',
      'dev-19990',
      'dev-19991',
      'dev-19992',
      'dev-19993',
      'dev-19994',
      'dev-19995',
      'dev-19996',
      'dev-19997',
      'dev-19998',
      'dev-19999',
    ]);
    expect(filterDevices(fleet, { ...EMPTY_DEVICE_FILTER, search: '设备 12345' }).map((d) => d.id)).toEqual(['dev-12345']);
  });

  it('pages the result and clamps a page past the end to the last page', () => {
    const p = pageOf(fleet, 3, 50);
    expect(p).toMatchObject({ page: 3, pageCount: 400, total: 20_000 });
    expect(p.rows[0]!.id).toBe('dev-150');
    expect(pageOf(fleet.slice(0, 120), 9, 50)).toMatchObject({ page: 2, pageCount: 3 });
    expect(pageOf([], 4, 50)).toMatchObject({ page: 0, pageCount: 1, rows: [] });
  });

  it('reads a typed or pasted "lng, lat" pair', () => {
    expect(parseLngLat('120.41, 36.16')).toEqual([120.41, 36.16]);
    expect(parseLngLat('120.41，36.16')).toEqual([120.41, 36.16]);
    expect(parseLngLat('120.41')).toBeNull();
    expect(parseLngLat('east, 36')).toBeNull();
  });
});
