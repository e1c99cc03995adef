/**
 * Pure helpers of the admin registry tables: filtering 20,000 devices by kind, district, status,
 * asset and a search on id/name, and paging the result. No Vue, no I/O: tested with plain arrays.
 */
import type { RegistryAsset, RegistryDevice } from '../../data/registry';

/** Rows per table page: a page renders instantly even on a wall PC; 20,000 devices = 400 pages. */
export const TABLE_PAGE_ROWS = 50;

export interface DeviceFilter {
  /** matched case-insensitively against id and name */
  search: string;
  kind: string;
  district: string;
  status: string;
  /** an asset id, '' = any, NO_ASSET = devices mounted on no asset */
  assetId: string;
}

/** The asset filter value that selects devices without an asset. */
export const NO_ASSET = '∅';

export const EMPTY_DEVICE_FILTER: DeviceFilter = { search: '', kind: '', district: '', status: '', assetId: '' };

export function filterDevices(devices: readonly RegistryDevice[], f: DeviceFilter): RegistryDevice[] {
  const needle = f.search.trim().toLowerCase();
  return devices.filter(
    (d) =>
      (f.kind === '' || d.kind === f.kind) &&
      (f.district === '' || d.district === f.district) &&
      (f.status === '' || d.status === f.status) &&
      (f.assetId === '' || (f.assetId === NO_ASSET ? d.assetId === undefined : d.assetId === f.assetId)) &&
      (needle === '' || d.id.toLowerCase().includes(needle) || d.name.toLowerCase().includes(needle)),
  );
}

export interface AssetFilter {
  search: string;
  type: string;
  district: string;
  /** '' = all, 'live' = not retired, 'retired' */
  state: '' | 'live' | 'retired';
}

export const EMPTY_ASSET_FILTER: AssetFilter = { search: '', type: '', district: '', state: 'live' };

export function filterAssets(assets: readonly RegistryAsset[], f: AssetFilter): RegistryAsset[] {
  const needle = f.search.trim().toLowerCase();
  return assets.filter(
    (a) =>
      (f.type === '' || a.type === f.type) &&
      (f.district === '' || a.district === f.district) &&
      (f.state === '' || (f.state === 'retired') === a.retired) &&
      (needle === '' ||
        a.id.toLowerCase().includes(needle) ||
        a.name.toLowerCase().includes(needle) ||
        (a.nameEn ?? '').toLowerCase().includes(needle)),
  );
}

export interface Page<T> {
  rows: T[];
  /** 0-based, clamped to the last page */
  page: number;
  pageCount: number;
  total: number;
}

/** One page of `items` (the page index is clamped, so a narrowed filter never shows an empty page). */
export function pageOf<T>(items: readonly T[], page: number, rowsPerPage = TABLE_PAGE_ROWS): Page<T> {
  const pageCount = Math.max(1, Math.ceil(items.length / rowsPerPage));
  const p = Math.min(Math.max(0, Math.floor(page)), pageCount - 1);
  return { rows: items.slice(p * rowsPerPage, (p + 1) * rowsPerPage), page: p, pageCount, total: items.length };
}

/** Parse a "lng, lat" pair typed or pasted by a person (comma, space or Chinese comma). Null when not two finite numbers. */
export function parseLngLat(text: string): [number, number] | null {
  const parts = text
    .trim()
    .split(/[\s,，]+/)
    .filter(Boolean)
    .map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite)) return null;
  return [parts[0]!, parts[1]!];
}
