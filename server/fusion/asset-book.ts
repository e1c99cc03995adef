/**
 * The city's assets as the scene builders see them: bridges, rivers, pump stations, communities…
 * (FusedState.assets) and emergency resources — rescue teams, supply depots, shelters
 * (FusedState.resources) — fed by the registry (one record type for both, `type` tells which).
 *
 * Like the device registry part, what builders see is published: an array replaced after a change
 * and never mutated, so builders may memoise on its identity and many edits between two builds
 * (an import) cost one copy.
 */
import {
  ASSET_KINDS,
  RESOURCE_KINDS,
  type Asset,
  type AssetKind,
  type EmergencyResource,
  type LngLat,
  type ResourceKind,
  type SceneId,
} from '../../scenes/domain';
import type { RegistryAsset } from '../registry/registry-schemas';

/** The scene an asset belongs to when its record names none (the demo's assignment by kind). */
export const DEFAULT_ASSET_SCENE: Record<AssetKind, SceneId> = {
  bridge: 'bridge',
  river: 'water',
  reservoir: 'water',
  underpass: 'water',
  'pipe-segment': 'water',
  'pump-station': 'water',
  'water-plant': 'water',
  'pipe-well': 'emergency',
  community: 'community',
};

const ASSET_KIND_SET: ReadonlySet<string> = new Set(ASSET_KINDS);
const RESOURCE_KIND_SET: ReadonlySet<string> = new Set(RESOURCE_KINDS);

/** What a registry record is on screen: an asset, a resource, or nothing (retired). */
export type SceneAssetRecord = { kind: 'asset'; asset: Asset } | { kind: 'resource'; resource: EmergencyResource } | { kind: 'none' };

function anchorOf(g: RegistryAsset['geometry']): LngLat {
  if (g.type === 'Point') return g.coordinates as LngLat;
  if (g.type === 'LineString') return g.coordinates[0] as LngLat;
  return g.coordinates[0]![0] as LngLat;
}

function numberAttr(attrs: RegistryAsset['attributes'], key: string): number {
  const v = attrs[key];
  return typeof v === 'number' ? v : 0;
}

/** A registry record as the builders take it (pure; also used by the simulator). */
export function sceneAssetOf(record: RegistryAsset): SceneAssetRecord {
  if (record.retired) return { kind: 'none' };
  const nameEn = record.nameEn ?? record.name;
  if (ASSET_KIND_SET.has(record.type)) {
    const kind = record.type as AssetKind;
    return {
      kind: 'asset',
      asset: {
        id: record.id,
        kind,
        scene: record.scene ?? DEFAULT_ASSET_SCENE[kind],
        name: record.name,
        nameEn,
        district: record.district,
        geometry: record.geometry as Asset['geometry'],
        props: { ...record.attributes },
      },
    };
  }
  if (RESOURCE_KIND_SET.has(record.type)) {
    const capacity = numberAttr(record.attributes, 'capacity');
    const available = typeof record.attributes.available === 'number' ? record.attributes.available : capacity;
    return {
      kind: 'resource',
      resource: {
        id: record.id,
        kind: record.type as ResourceKind,
        name: record.name,
        nameEn,
        district: record.district,
        location: anchorOf(record.geometry),
        capacity,
        available,
      },
    };
  }
  return { kind: 'none' };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class AssetBook {
  private readonly assets = new Map<string, Asset>();
  private readonly resources = new Map<string, EmergencyResource>();
  private published: { assets: readonly Asset[]; resources: readonly EmergencyResource[] } = { assets: [], resources: [] };
  private changed = false;

  constructor(assets: readonly Asset[] = [], resources: readonly EmergencyResource[] = []) {
    for (const a of assets) this.assets.set(a.id, a);
    for (const r of resources) this.resources.set(r.id, { ...r });
    this.changed = true;
  }

  /** Adds, replaces or (retired record) removes an asset or resource; returns the scenes it was and is on. */
  put(record: RegistryAsset): SceneId[] {
    const scenes = this.remove(record.id);
    const next = sceneAssetOf(record);
    if (next.kind === 'asset') {
      this.assets.set(next.asset.id, next.asset);
      scenes.push(next.asset.scene);
    } else if (next.kind === 'resource') {
      this.resources.set(next.resource.id, next.resource);
      scenes.push('emergency');
    }
    if (next.kind !== 'none') this.changed = true;
    return scenes;
  }

  /** Removes an asset or resource; returns the scene it was on (none when unknown). */
  remove(id: string): SceneId[] {
    const asset = this.assets.get(id);
    if (asset) {
      this.assets.delete(id);
      this.changed = true;
      return [asset.scene];
    }
    if (this.resources.delete(id)) {
      this.changed = true;
      return ['emergency'];
    }
    return [];
  }

  /** Replaces everything with these records (start-up load). */
  replaceAll(records: readonly RegistryAsset[]): void {
    this.assets.clear();
    this.resources.clear();
    this.changed = true;
    for (const r of records) this.put(r);
  }

  /** Assets and resources sorted by id: the same arrays until something changes. */
  publish(): { assets: readonly Asset[]; resources: readonly EmergencyResource[] } {
    if (this.changed) {
      this.changed = false;
      this.published = { assets: [...this.assets.values()].sort(byId), resources: [...this.resources.values()].sort(byId) };
    }
    return this.published;
  }
}
