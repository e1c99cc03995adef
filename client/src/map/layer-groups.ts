/**
 * The map's layer groups (issue 17): what the layer panel toggles, what the legend explains, and
 * the `layers=` URL parameter that keeps a wall's choice in its kiosk/playlist URL. Pure.
 *
 * A layer belongs to a group by its id (`layerGroupOf`): descriptors and base layers need not know
 * about visibility — map-layer-builder.ts filters the assembled list with `visibleDescriptors`.
 *
 * `layers=` grammar (comma separated, order free, unknown tokens ignored):
 *   `-heat,-handlers`   hide these, on top of the page's defaults (what the panel writes);
 *   `+cameras`          show a group the page hides by default;
 *   `devices,alerts`    bare names: exactly these groups, every other group hidden (hand-written kiosk lists);
 *   `-devices.water`, `-devices.gas-detector`  hide the devices of one scene or one kind.
 */
import { SCENE_IDS } from '@scenes/domain';
import type { DeviceKind, SceneId } from '@scenes/domain';
import type { DevicePoint } from '@scenes/scene-model';
import { DEVICE_CATALOGUE } from '@scenes/catalogue';

export const LAYER_GROUP_IDS = [
  'basemap',
  'districts',
  'assets',
  'devices',
  'heat',
  'alerts',
  'incidents',
  'handlers',
  'resources',
  'shelters',
  'cameras',
  'impact',
] as const;
export type LayerGroupId = (typeof LAYER_GROUP_IDS)[number];

/** A device sub-toggle: `devices.<scene>` or `devices.<kind>`. */
export type DeviceToggleId = `devices.${SceneId}` | `devices.${DeviceKind}`;
export type LayerToggleId = LayerGroupId | DeviceToggleId;

export type MapPageKind = 'wall' | 'console' | 'brief';

export interface BilingualLabel {
  zh: string;
  en: string;
}

export const LAYER_GROUP_LABELS: Record<LayerGroupId, BilingualLabel> = {
  basemap: { zh: '底图', en: 'Basemap' },
  districts: { zh: '行政区', en: 'Districts' },
  assets: { zh: '设施', en: 'Assets' },
  devices: { zh: '设备', en: 'Devices' },
  heat: { zh: '热力汇聚', en: 'Hexagon view' },
  alerts: { zh: '告警', en: 'Alerts' },
  incidents: { zh: '事件', en: 'Incidents' },
  handlers: { zh: '处置人员', en: 'Responders' },
  resources: { zh: '救援力量', en: 'Teams & depots' },
  shelters: { zh: '避难场所', en: 'Shelters' },
  cameras: { zh: '视频监控', en: 'Cameras' },
  impact: { zh: '影响范围', en: 'Impact range' },
};

/** Device sub-toggles: one per scene, each with its kinds (from the device catalogue). */
export interface DeviceSceneToggle {
  id: `devices.${SceneId}`;
  scene: SceneId;
  kinds: { id: `devices.${DeviceKind}`; kind: DeviceKind; label: BilingualLabel }[];
}
export const DEVICE_SCENE_TOGGLES: readonly DeviceSceneToggle[] = SCENE_IDS.map((scene) => ({
  id: `devices.${scene}` as const,
  scene,
  kinds: Object.values(DEVICE_CATALOGUE)
    .filter((spec) => spec.scene === scene)
    .map((spec) => ({ id: `devices.${spec.kind}` as const, kind: spec.kind, label: { zh: spec.label, en: spec.labelEn } })),
}));

const TOGGLE_IDS: ReadonlySet<string> = new Set<string>([
  ...LAYER_GROUP_IDS,
  ...DEVICE_SCENE_TOGGLES.flatMap((s) => [s.id, ...s.kinds.map((k) => k.id)]),
]);
export function isLayerToggleId(value: string): value is LayerToggleId {
  return TOGGLE_IDS.has(value);
}

/**
 * What each page hides until someone turns it on. The wall shows the whole picture; the console
 * too (the officer works on it); the briefing is read by leaders: people and heat are noise there.
 */
export const DEFAULT_HIDDEN: Record<MapPageKind, readonly LayerToggleId[]> = {
  wall: [],
  console: [],
  brief: ['handlers', 'heat'],
};

/** The visibility of one map: the toggles that are off (everything else is on). */
export interface LayerVisibility {
  readonly hidden: ReadonlySet<LayerToggleId>;
}

export function defaultVisibility(page: MapPageKind): LayerVisibility {
  return { hidden: new Set(DEFAULT_HIDDEN[page]) };
}

export function isToggleOn(visibility: LayerVisibility, id: LayerToggleId): boolean {
  return !visibility.hidden.has(id);
}

/** A copy with `id` switched on or off. */
export function withToggle(visibility: LayerVisibility, id: LayerToggleId, on: boolean): LayerVisibility {
  const hidden = new Set(visibility.hidden);
  if (on) hidden.delete(id);
  else hidden.add(id);
  return { hidden };
}

// ---------------------------------------------------------------------------------------------
// Layer id → group

/**
 * Id prefixes of each group, longest match wins (so `devices-hexagon` is heat, not devices).
 * The offline base's sea stays whatever is chosen: without it the map has no ground.
 */
const GROUP_PREFIXES: readonly [string, LayerGroupId | null][] = (
  [
    ['offline-sea', null],
    ['offline-', 'basemap'],
    ['basemap', 'basemap'],
    ['district', 'districts'],
    ['asset', 'assets'],
    ['devices-hexagon', 'heat'],
    ['heat', 'heat'],
    ['device', 'devices'],
    ['alert', 'alerts'],
    ['incident', 'incidents'],
    ['handler', 'handlers'],
    ['resource', 'resources'],
    ['shelter', 'shelters'],
    ['camera', 'cameras'],
    ['impact', 'impact'],
  ] as [string, LayerGroupId | null][]
).sort((a, b) => b[0].length - a[0].length);

/** The group of a layer id, or null for a layer that is always drawn. */
export function layerGroupOf(layerId: string): LayerGroupId | null {
  for (const [prefix, group] of GROUP_PREFIXES) if (layerId.startsWith(prefix)) return group;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Filtering

/** Layer ids whose `data` are DevicePoint[] and follow the device sub-toggles. */
const DEVICE_DATA_LAYER_IDS: ReadonlySet<string> = new Set(['devices', 'devices-maintenance', 'devices-hexagon']);

/** The device filter of a visibility, as a stable key ('' = every device shown). */
export function deviceFilterKey(visibility: LayerVisibility): string {
  return [...visibility.hidden]
    .filter((id) => id.startsWith('devices.'))
    .sort()
    .join(',');
}

const SCENE_OF_KIND = new Map<string, SceneId>(Object.values(DEVICE_CATALOGUE).map((s) => [s.kind, s.scene]));

/** One filtered copy per (source array, filter key): the same array while neither changes. */
const filteredDevices = new WeakMap<readonly DevicePoint[], { key: string; data: readonly DevicePoint[] }>();
function devicesShown(devices: readonly DevicePoint[], visibility: LayerVisibility, key: string): readonly DevicePoint[] {
  const cached = filteredDevices.get(devices);
  if (cached && cached.key === key) return cached.data;
  const hidden = visibility.hidden as ReadonlySet<string>;
  const data = devices.filter((d) => !hidden.has(`devices.${d.kind}`) && !hidden.has(`devices.${SCENE_OF_KIND.get(d.kind) ?? ''}`));
  filteredDevices.set(devices, { key, data });
  return data;
}

/**
 * The descriptors of the visible groups. Descriptors of a visible group are returned as the same
 * objects (deck.gl's incremental path needs unchanged props and data identity); a device layer
 * with a scene/kind hidden gets a filtered copy of its data that is memoised by the source array.
 */
export function visibleDescriptors<D extends { props: { id: string; data?: unknown } }>(descriptors: readonly D[], visibility: LayerVisibility): D[] {
  const deviceKey = deviceFilterKey(visibility);
  const out: D[] = [];
  for (const d of descriptors) {
    const group = layerGroupOf(d.props.id);
    if (group !== null && visibility.hidden.has(group)) continue;
    if (deviceKey && DEVICE_DATA_LAYER_IDS.has(d.props.id) && Array.isArray(d.props.data)) {
      out.push({ ...d, props: { ...d.props, data: devicesShown(d.props.data as DevicePoint[], visibility, deviceKey) } });
    } else out.push(d);
  }
  return out;
}

/**
 * The groups that have something drawn (the legend explains only those): a descriptor counts when
 * it is visible and its data, if a list, is not empty; the basemap counts while it is shown.
 */
export function presentLayerGroups<D extends { props: { id: string; data?: unknown; visible?: unknown } }>(
  descriptors: readonly D[],
  basemapShown: boolean,
): Set<LayerGroupId> {
  const groups = new Set<LayerGroupId>();
  for (const d of descriptors) {
    const group = layerGroupOf(d.props.id);
    const data = d.props.data;
    if (group && d.props.visible !== false && (!Array.isArray(data) || data.length > 0)) groups.add(group);
  }
  if (basemapShown) groups.add('basemap');
  return groups;
}

/** Whether two group sets hold the same groups (a legend keeps its set while nothing changed). */
export function sameLayerGroups(a: ReadonlySet<LayerGroupId>, b: ReadonlySet<LayerGroupId>): boolean {
  return a.size === b.size && [...a].every((g) => b.has(g));
}

// ---------------------------------------------------------------------------------------------
// URL

/** The URL query parameter that holds a map's layer choice. */
export const LAYERS_QUERY_PARAM = 'layers';
/** Longer values are not a layer list (ignored whole). */
const MAX_LAYERS_PARAM_CHARS = 2_000;

const CANONICAL_ORDER: readonly string[] = [...TOGGLE_IDS];

/** The `layers=` value for a visibility on `page`: the differences from the page's defaults; null when there are none. */
export function encodeVisibility(visibility: LayerVisibility, page: MapPageKind): string | null {
  const defaults = new Set<string>(DEFAULT_HIDDEN[page]);
  const tokens: string[] = [];
  for (const id of CANONICAL_ORDER) {
    const hidden = visibility.hidden.has(id as LayerToggleId);
    if (hidden && !defaults.has(id)) tokens.push(`-${id}`);
    if (!hidden && defaults.has(id)) tokens.push(`+${id}`);
  }
  return tokens.length > 0 ? tokens.join(',') : null;
}

/** The visibility a `layers=` query value asks for on `page`; anything malformed falls back to the defaults. */
export function decodeVisibility(value: unknown, page: MapPageKind): LayerVisibility {
  const raw = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').join(',') : value;
  if (typeof raw !== 'string' || raw.length > MAX_LAYERS_PARAM_CHARS) return defaultVisibility(page);
  const tokens = raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  const bare = tokens.filter((t) => !t.startsWith('-') && !t.startsWith('+') && (LAYER_GROUP_IDS as readonly string[]).includes(t));
  // bare group names: exactly those groups; otherwise the page's defaults
  const hidden = new Set<LayerToggleId>(bare.length > 0 ? LAYER_GROUP_IDS.filter((g) => !bare.includes(g)) : DEFAULT_HIDDEN[page]);
  for (const token of tokens) {
    const sign = token[0];
    const id = sign === '-' || sign === '+' ? token.slice(1) : token;
    if (!isLayerToggleId(id)) continue;
    if (sign === '-') hidden.add(id);
    else hidden.delete(id);
  }
  return { hidden };
}
