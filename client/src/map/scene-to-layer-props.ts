/**
 * Scene model → deck.gl layer descriptors. Pure: plain `{ type, props }` objects that a thin
 * component turns into deck.gl layers, so colours, identity and animation are tested without
 * WebGL.
 *
 * deck.gl performance rules kept here (docs/developer-guide/performance.md):
 * - stable layer ids, one per role;
 * - the SAME `data` array while the model's collection did not change (derived arrays are
 *   memoised by the identity of their source array);
 * - `updateTriggers` named after the accessor they invalidate (animation and clocks);
 * - hide with `visible: false` instead of removing.
 */
import { ALERT_LEVEL_RANK } from '@scenes/domain';
import type { AlertLevel, DeviceStatus, LngLat } from '@scenes/domain';
import type { AlertItem, AssetItem, DevicePoint, HandlerItem, IncidentItem, ResourceItem, SceneModel } from '@scenes/scene-model';
import { QINGDAO_DISTRICTS } from '@scenes/geo/districts';
import { simplify } from '@turf/simplify';
import { slaProgress } from '@scenes/sla';
import { isIncidentInProgress, isResolutionOverdue } from '@scenes/incident-rules';
import { CJK_FONT_STACK, MAP_RGBA, STATUS_RGB } from '../theme/palette';
import type { Rgb, Rgba } from '../theme/palette';
import type { Lang } from '../i18n/i18n';
import { MAP_CONFIG } from './map-config';
import { slaArcPath, slaColor } from './sla-ring';
import { labelCollisionProps } from './label-collisions';
import type { CameraView } from '@scenes/cameras/camera-view';
import { cameraSelectionFromPick } from './camera-layers';

export type LayerType = 'GeoJsonLayer' | 'TextLayer' | 'PathLayer' | 'PolygonLayer' | 'ScatterplotLayer' | 'HexagonLayer';

export interface LayerDescriptor {
  type: LayerType;
  props: { id: string; data: unknown; visible: boolean; pickable: boolean; [key: string]: unknown };
}

/** Stable layer ids (deck.gl matches layers across renders by id). */
export const LAYER_IDS = {
  districts: 'districts',
  districtLabels: 'district-labels',
  assetLines: 'asset-lines',
  assetAreas: 'asset-areas',
  assetPoints: 'asset-points',
  devices: 'devices',
  devicesHexagon: 'devices-hexagon',
  devicesMaintenance: 'devices-maintenance',
  alertPulse: 'alert-pulse',
  slaTrack: 'incident-sla-track',
  slaRing: 'incident-sla-ring',
  incidents: 'incidents',
  resources: 'resources',
  shelters: 'shelters',
  handlers: 'handlers',
  handlerLabels: 'handler-labels',
} as const;

export interface LayerOptions {
  /** epoch ms, server clock, quantised to the UI tick (drives SLA rings) */
  nowTs: number;
  /** epoch ms quantised to the pulse frame (drives alert pulses; ≤ 10 fps) */
  pulseTs: number;
  /** current map zoom (drives the aggregation switch) */
  zoom: number;
  lang: Lang;
  /**
   * Screen-px multiplier for dots, lines and labels: the panel layer's scale (2 on a 4K wall),
   * so map symbols keep their size relative to the page. Default 1.
   */
  pixelScale?: number;
  /**
   * Per-map cache that keeps the device layer's `data` identity when only statuses changed
   * (see deviceLayerData). Without it every delta that touches a device re-uploads every
   * position to the GPU.
   */
  deviceCache?: DeviceLayerCache;
  /**
   * false when the hexagon view is switched off in the layer panel: the device dots are drawn at
   * every zoom. Default true (hexagons below MAP_CONFIG.aggregateBelowZoom with many devices).
   */
  aggregateDevices?: boolean;
}

/**
 * Device layer data that survives status-only changes. deck.gl regenerates every attribute when
 * `data` changes identity; when only the colour of a few devices changed, it is enough to bump
 * the colour/radius updateTriggers and read the status from `status` — positions stay on the GPU.
 */
export interface DeviceLayerCache {
  /** the model array this cache was last synced with */
  source: readonly DevicePoint[] | null;
  /** the array handed to deck.gl; same identity while ids, order and positions are unchanged */
  data: readonly DevicePoint[];
  /** current status by device id (authoritative over `data[i].s`) */
  status: Map<string, DevicePoint['s']>;
  /** bumped when any status changed; used as the accessors' updateTrigger */
  version: number;
  /** the version the (visible) dot layer last re-coloured for; a hidden layer does no work */
  dotsVersion: number;
  /** the version the aggregated hexagons last re-weighted for, and when (server clock, ms) */
  hexagonVersion: number;
  hexagonTs: number;
}

/**
 * The aggregated (low zoom) view re-weights at most this often, ms: every point is re-binned on
 * the CPU, and a hexagon's colour is an overview, not the alarm — alerts pulse in their own layer
 * at once.
 */
export const HEXAGON_REFRESH_MS = 2_000;

export function createDeviceLayerCache(): DeviceLayerCache {
  return { source: null, data: [], status: new Map(), version: 0, dotsVersion: 0, hexagonVersion: 0, hexagonTs: -Infinity };
}

/** Syncs the cache with the model's devices; keeps `data` identity when only statuses changed. */
export function deviceLayerData(devices: readonly DevicePoint[], cache: DeviceLayerCache): DeviceLayerCache {
  if (cache.source === devices) return cache;
  const prev = cache.data;
  let sameLayout = prev.length === devices.length;
  for (let i = 0; sameLayout && i < devices.length; i++) {
    const a = prev[i]!;
    const b = devices[i]!;
    // a maintenance flip changes the drawing (dim fill, ring layer): treated like a layout change
    sameLayout = a.id === b.id && a.kind === b.kind && a.p[0] === b.p[0] && a.p[1] === b.p[1] && a.m === b.m;
  }
  if (!sameLayout) {
    cache.data = devices;
    cache.status = new Map(devices.map((d) => [d.id, d.s]));
    cache.version++;
  } else {
    let changed = false;
    for (const d of devices) {
      if (cache.status.get(d.id) !== d.s) {
        cache.status.set(d.id, d.s);
        changed = true;
      }
    }
    if (changed) cache.version++;
  }
  cache.source = devices;
  return cache;
}

// ---------------------------------------------------------------------------------------------
// Pure building blocks (exported for tests)

export function statusColor(status: DeviceStatus): Rgb {
  return STATUS_RGB[status];
}

/**
 * Devices in maintenance (`m`): they report but raise no alerts, so they are drawn dimmed with an
 * amber "service" ring, distinct from offline grey and from every alert colour.
 */
export const MAINTENANCE_STYLE = {
  fill: [96, 104, 116] as Rgb,
  ring: [255, 176, 32, 230] as Rgba,
  /** ring radius and stroke, screen px */
  ringRadiusPixels: 6,
  ringWidthPixels: 1.5,
} as const;

/** Fill of a device dot: its status colour, or the maintenance grey. */
export function deviceFillColor(d: Pick<DevicePoint, 'm'>, status: DeviceStatus): Rgb {
  return d.m ? MAINTENANCE_STYLE.fill : statusColor(status);
}

let districtsLowZoom: typeof QINGDAO_DISTRICTS | null = null;

/**
 * The district polygons drawn at `zoom`: below `MAP_CONFIG.districtLod.belowZoom` a simplified copy
 * (≈ 1 px at the city-wide zoom; a quarter of the vertices) — with software GL the outline of the
 * full 14k-vertex boundaries cost most of a console map frame. The same object on every call, so
 * deck.gl keeps its buffers until the zoom crosses the threshold.
 */
export function districtsForZoom(zoom: number): typeof QINGDAO_DISTRICTS {
  if (zoom >= MAP_CONFIG.districtLod.belowZoom) return QINGDAO_DISTRICTS;
  districtsLowZoom ??= simplify(QINGDAO_DISTRICTS as unknown as Parameters<typeof simplify>[0], {
    tolerance: MAP_CONFIG.districtLod.toleranceDeg,
  }) as unknown as typeof QINGDAO_DISTRICTS;
  return districtsLowZoom;
}

/** Which zoom-dependent data the layers use at `zoom`: the layers are rebuilt when it changes. */
export function zoomBand(zoom: number): string {
  return `${zoom < MAP_CONFIG.aggregateBelowZoom ? 'agg' : 'pts'}|${zoom < MAP_CONFIG.districtLod.belowZoom ? 'low' : 'full'}`;
}

/** true when the device layer should give way to the hexagon aggregation. */
export function shouldAggregateDevices(deviceCount: number, zoom: number): boolean {
  return deviceCount > MAP_CONFIG.aggregateAboveDeviceCount && zoom < MAP_CONFIG.aggregateBelowZoom;
}

/** Quantise a clock to the pulse frame so the animation re-evaluates at most 10 times a second. */
export function quantizePulseTs(ts: number): number {
  return Math.floor(ts / MAP_CONFIG.pulseFrameMs) * MAP_CONFIG.pulseFrameMs;
}

/** Where in its pulse an alert of `level` is at `ts`: 0 (start) .. <1 (end). */
export function alertPulsePhase(level: AlertLevel, ts: number): number {
  const { periodMs } = MAP_CONFIG.alertPulse[level];
  return (((ts % periodMs) + periodMs) % periodMs) / periodMs;
}

/** Expanding-ring radius of an alert pulse, screen px. */
export function alertPulseRadiusPixels(level: AlertLevel, ts: number): number {
  const p = MAP_CONFIG.alertPulse[level];
  return p.baseRadiusPixels + p.growthPixels * alertPulsePhase(level, ts);
}

/** The ring fades as it grows. */
export function alertPulseColor(level: AlertLevel, ts: number): Rgba {
  const [r, g, b] = STATUS_RGB[level];
  return [r, g, b, Math.round(255 * (1 - 0.85 * alertPulsePhase(level, ts)))];
}

/** Characters a TextLayer must have in its font atlas to draw `texts` (CJK needs this). */
export function characterSetFor(texts: Iterable<string>): string {
  const chars = new Set<string>();
  for (let c = 32; c < 127; c++) chars.add(String.fromCharCode(c));
  for (const text of texts) for (const ch of text) chars.add(ch);
  return [...chars].sort().join('');
}

/** Memoise a derivation by the identity of its source array (WeakMap: no leak). */
function memoByIdentity<S extends object, T>(derive: (source: S) => T): (source: S) => T {
  const cache = new WeakMap<S, T>();
  return (source) => {
    let value = cache.get(source);
    if (value === undefined) {
      value = derive(source);
      cache.set(source, value);
    }
    return value;
  };
}

const activeAlerts = memoByIdentity((alerts: AlertItem[]) =>
  alerts
    .filter((a) => !a.cleared)
    // least severe first so red draws on top
    .sort((a, b) => ALERT_LEVEL_RANK[b.level] - ALERT_LEVEL_RANK[a.level]),
);
const openIncidents = memoByIdentity((incidents: IncidentItem[]) => incidents.filter(isIncidentInProgress));
const positionedHandlers = memoByIdentity((handlers: HandlerItem[]) => handlers.filter((h): h is HandlerItem & { p: LngLat } => h.p !== null));
const lineAssets = memoByIdentity((assets: AssetItem[]) => assets.filter((a) => a.geometry.type === 'LineString'));
const areaAssets = memoByIdentity((assets: AssetItem[]) => assets.filter((a) => a.geometry.type === 'Polygon'));
const maintenanceDevices = memoByIdentity((devices: readonly DevicePoint[]) => devices.filter((d) => d.m === true));
const pointAssets = memoByIdentity((assets: AssetItem[]) => assets.filter((a) => a.geometry.type === 'Point'));
const teamsAndDepots = memoByIdentity((resources: ResourceItem[]) => resources.filter((r) => r.kind !== 'shelter'));
const shelters = memoByIdentity((resources: ResourceItem[]) => resources.filter((r) => r.kind === 'shelter'));
const handlerCharacterSet = memoByIdentity((handlers: HandlerItem[]) => characterSetFor(handlers.map((h) => h.name)));

interface DistrictLabel {
  code: string;
  name: string;
  nameEn: string;
  position: LngLat;
}
const DISTRICT_LABELS: DistrictLabel[] = QINGDAO_DISTRICTS.features.map((f) => ({
  code: f.properties.code,
  name: f.properties.name,
  nameEn: f.properties.nameEn,
  position: f.properties.center,
}));
const DISTRICT_CHARACTER_SET = characterSetFor(DISTRICT_LABELS.flatMap((d) => [d.name, d.nameEn]));

const SEVERITY_WEIGHT: Record<DeviceStatus, number> = { normal: 0, offline: 1, blue: 2, yellow: 3, orange: 4, red: 5 };

function assetColor(asset: AssetItem): Rgba {
  if (asset.status === 'normal') {
    if (asset.kind === 'river') return MAP_RGBA.river;
    if (asset.kind === 'pipe-segment') return MAP_RGBA.pipe;
  }
  const [r, g, b] = STATUS_RGB[asset.status];
  return [r, g, b, 230];
}

const RESOURCE_COLOR: Record<ResourceItem['kind'], Rgba> = {
  'rescue-team': MAP_RGBA.resourceRescue,
  'supply-depot': MAP_RGBA.resourceDepot,
  shelter: MAP_RGBA.resourceShelter,
};

const HANDLER_COLOR: Record<HandlerItem['status'], Rgba> = {
  idle: MAP_RGBA.handlerIdle,
  busy: MAP_RGBA.handlerBusy,
  off_duty: MAP_RGBA.handlerOff,
};

// ---------------------------------------------------------------------------------------------

/** All layers of a scene, bottom to top. */
export function sceneToLayerProps(model: SceneModel, opts: LayerOptions): LayerDescriptor[] {
  const aggregate = opts.aggregateDevices !== false && shouldAggregateDevices(model.devices.length, opts.zoom);
  const dev = deviceLayerData(model.devices, opts.deviceCache ?? createDeviceLayerCache());
  const statusOf = (d: DevicePoint) => dev.status.get(d.id) ?? d.s;
  if (!aggregate) dev.dotsVersion = dev.version;
  if (aggregate && dev.hexagonVersion !== dev.version && opts.nowTs - dev.hexagonTs >= HEXAGON_REFRESH_MS) {
    dev.hexagonVersion = dev.version;
    dev.hexagonTs = opts.nowTs;
  }
  const alerts = activeAlerts(model.alerts);
  const incidents = openIncidents(model.incidents);
  // issue 14: an overdue incident is red on every map; the trigger changes only when the set does
  const overdueKey = incidents
    .filter((i) => isResolutionOverdue(i, opts.nowTs))
    .map((i) => i.id)
    .join(',');
  const handlers = positionedHandlers(model.handlers);
  const nameOf = (zh: string, en: string) => (opts.lang === 'en' && en ? en : zh);

  const layers: LayerDescriptor[] = [
    {
      type: 'GeoJsonLayer',
      props: {
        id: LAYER_IDS.districts,
        data: districtsForZoom(opts.zoom),
        visible: true,
        // a click on a district's land drills into it (issue 17, district-layers.ts districtFromPick)
        pickable: true,
        filled: true,
        stroked: true,
        getFillColor: MAP_RGBA.districtFill,
        getLineColor: MAP_RGBA.districtLine,
        lineWidthUnits: 'pixels',
        getLineWidth: 1.5,
      },
    },
    {
      type: 'TextLayer',
      props: {
        id: LAYER_IDS.districtLabels,
        data: DISTRICT_LABELS,
        visible: true,
        pickable: false,
        getPosition: (d: DistrictLabel) => d.position,
        getText: (d: DistrictLabel) => nameOf(d.name, d.nameEn),
        getColor: MAP_RGBA.districtLabel,
        getSize: MAP_CONFIG.districtLabelSizePixels,
        sizeUnits: 'pixels',
        characterSet: DISTRICT_CHARACTER_SET,
        fontFamily: CJK_FONT_STACK,
        fontWeight: 600,
        // a dark halo: the name stays readable where it crosses device dots and asset lines (3 m from a wall)
        outlineWidth: 3,
        outlineColor: MAP_RGBA.labelHalo,
        fontSettings: { sdf: true },
        updateTriggers: { getText: opts.lang },
        ...labelCollisionProps('district', opts.pixelScale ?? 1),
      },
    },
    {
      type: 'PolygonLayer',
      props: {
        id: LAYER_IDS.assetAreas,
        data: areaAssets(model.assets),
        visible: true,
        pickable: true,
        filled: true,
        stroked: true,
        getPolygon: (a: AssetItem) => (a.geometry.type === 'Polygon' ? a.geometry.coordinates : []),
        getFillColor: (a: AssetItem) => {
          const [r, g, b] = STATUS_RGB[a.status];
          return [r, g, b, a.status === 'normal' ? 40 : 110];
        },
        getLineColor: (a: AssetItem) => assetColor(a),
        lineWidthUnits: 'pixels',
        getLineWidth: 1.5,
      },
    },
    {
      type: 'PathLayer',
      props: {
        id: LAYER_IDS.assetLines,
        data: lineAssets(model.assets),
        visible: true,
        pickable: true,
        getPath: (a: AssetItem) => (a.geometry.type === 'LineString' ? a.geometry.coordinates : []),
        getColor: (a: AssetItem) => assetColor(a),
        getWidth: MAP_CONFIG.assetLineWidthPixels,
        widthUnits: 'pixels',
        capRounded: true,
        jointRounded: true,
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: LAYER_IDS.assetPoints,
        data: pointAssets(model.assets),
        visible: true,
        pickable: true,
        getPosition: (a: AssetItem) => (a.geometry.type === 'Point' ? a.geometry.coordinates : [0, 0]),
        getFillColor: (a: AssetItem) => assetColor(a),
        getLineColor: [255, 255, 255, 200],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 1,
        radiusUnits: 'pixels',
        getRadius: 7,
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: LAYER_IDS.devices,
        data: dev.data,
        visible: !aggregate,
        pickable: true,
        getPosition: (d: DevicePoint) => d.p,
        getFillColor: (d: DevicePoint) => deviceFillColor(d, statusOf(d)),
        getRadius: (d: DevicePoint) => MAP_CONFIG.deviceRadiusPixels[statusOf(d)],
        updateTriggers: { getFillColor: dev.dotsVersion, getRadius: dev.dotsVersion },
        radiusUnits: 'pixels',
        stroked: false,
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: LAYER_IDS.devicesMaintenance,
        data: maintenanceDevices(dev.data),
        visible: !aggregate,
        pickable: false,
        getPosition: (d: DevicePoint) => d.p,
        filled: false,
        stroked: true,
        getLineColor: MAINTENANCE_STYLE.ring,
        getRadius: MAINTENANCE_STYLE.ringRadiusPixels,
        radiusUnits: 'pixels',
        lineWidthUnits: 'pixels',
        getLineWidth: MAINTENANCE_STYLE.ringWidthPixels,
      },
    },
  ];

  if (model.devices.length > MAP_CONFIG.aggregateAboveDeviceCount) {
    layers.push({
      type: 'HexagonLayer',
      props: {
        id: LAYER_IDS.devicesHexagon,
        data: dev.data,
        visible: aggregate,
        pickable: false,
        // CPU aggregation: measured slower on GPU here (software GL reads back synchronously); the
        // re-aggregation is throttled instead (hexagonVersion)
        gpuAggregation: false,
        extruded: false,
        radius: MAP_CONFIG.hexagonRadiusM,
        coverage: 0.9,
        opacity: 0.8,
        getPosition: (d: DevicePoint) => d.p,
        // a hexagon takes the colour of its worst device
        getColorWeight: (d: DevicePoint) => SEVERITY_WEIGHT[statusOf(d)],
        updateTriggers: { getColorWeight: dev.hexagonVersion },
        colorAggregation: 'MAX',
        colorDomain: [0, SEVERITY_WEIGHT.red],
        colorRange: [STATUS_RGB.normal, STATUS_RGB.offline, STATUS_RGB.blue, STATUS_RGB.yellow, STATUS_RGB.orange, STATUS_RGB.red],
      },
    });
  }

  layers.push(
    // rescue teams, depots and shelters stand where they are, like the devices: under the map's
    // names (basemap-stack.ts), the alerts, the incidents and the people
    resourceLayer(LAYER_IDS.resources, teamsAndDepots(model.resources)),
    resourceLayer(LAYER_IDS.shelters, shelters(model.resources)),
    {
      type: 'ScatterplotLayer',
      props: {
        id: LAYER_IDS.alertPulse,
        data: alerts,
        visible: alerts.length > 0,
        pickable: true,
        getPosition: (a: AlertItem) => a.p,
        getRadius: (a: AlertItem) => alertPulseRadiusPixels(a.level, opts.pulseTs),
        getLineColor: (a: AlertItem) => alertPulseColor(a.level, opts.pulseTs),
        getFillColor: (a: AlertItem) => {
          const [r, g, b] = STATUS_RGB[a.level];
          return [r, g, b, 70];
        },
        radiusUnits: 'pixels',
        stroked: true,
        filled: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 3,
        updateTriggers: { getRadius: opts.pulseTs, getLineColor: opts.pulseTs },
      },
    },
    {
      type: 'PathLayer',
      props: {
        id: LAYER_IDS.slaTrack,
        data: incidents,
        visible: incidents.length > 0,
        pickable: false,
        getPath: (i: IncidentItem) => slaArcPath(i.p, 1, MAP_CONFIG.slaRingRadiusM, MAP_CONFIG.slaRingSegments),
        getColor: MAP_RGBA.slaTrack,
        getWidth: MAP_CONFIG.slaRingWidthPixels,
        widthUnits: 'pixels',
      },
    },
    {
      type: 'PathLayer',
      props: {
        id: LAYER_IDS.slaRing,
        data: incidents,
        visible: incidents.length > 0,
        pickable: true,
        getPath: (i: IncidentItem) => slaArcPath(i.p, slaProgress(i, opts.nowTs).fraction, MAP_CONFIG.slaRingRadiusM, MAP_CONFIG.slaRingSegments),
        getColor: (i: IncidentItem) => {
          const progress = slaProgress(i, opts.nowTs);
          return slaColor(progress.fraction, progress.breached);
        },
        getWidth: MAP_CONFIG.slaRingWidthPixels,
        widthUnits: 'pixels',
        capRounded: true,
        updateTriggers: { getPath: opts.nowTs, getColor: opts.nowTs },
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: LAYER_IDS.incidents,
        data: incidents,
        visible: incidents.length > 0,
        pickable: true,
        getPosition: (i: IncidentItem) => i.p,
        getFillColor: (i: IncidentItem) => (isResolutionOverdue(i, opts.nowTs) ? MAP_RGBA.incidentOverdueFill : MAP_RGBA.incidentFill),
        getLineColor: (i: IncidentItem) => {
          const [r, g, b] = STATUS_RGB[i.level ?? 'blue'];
          return [r, g, b, 255];
        },
        updateTriggers: { getFillColor: overdueKey },
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 3,
        radiusUnits: 'pixels',
        getRadius: MAP_CONFIG.incidentRadiusPixels,
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: LAYER_IDS.handlers,
        data: handlers,
        visible: handlers.length > 0,
        pickable: true,
        getPosition: (h: HandlerItem & { p: LngLat }) => h.p,
        getFillColor: (h: HandlerItem) => HANDLER_COLOR[h.status],
        getLineColor: [255, 255, 255, 255],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
        radiusUnits: 'pixels',
        getRadius: MAP_CONFIG.handlerRadiusPixels,
      },
    },
    {
      type: 'TextLayer',
      props: {
        id: LAYER_IDS.handlerLabels,
        data: handlers,
        visible: handlers.length > 0,
        pickable: false,
        getPosition: (h: HandlerItem & { p: LngLat }) => h.p,
        getText: (h: HandlerItem) => h.name,
        getColor: MAP_RGBA.handlerLabel,
        getSize: MAP_CONFIG.handlerLabelSizePixels,
        sizeUnits: 'pixels',
        // above the dot, on a 4K wall as on a desk (the dot and the text grow with pixelScale)
        getPixelOffset: [0, -16 * (opts.pixelScale ?? 1)],
        characterSet: handlerCharacterSet(model.handlers),
        fontFamily: CJK_FONT_STACK,
        fontWeight: 600,
        // the district names' dark halo: a name stays readable over a cluster of device dots
        outlineWidth: 3,
        outlineColor: MAP_RGBA.labelHalo,
        fontSettings: { sdf: true },
        // not in deck.gl's label group (it would hide a name drawn off its anchor): name-clearance.ts
      },
    },
  );
  return applyPixelScale(layers, opts.pixelScale ?? 1);
}

/** Rescue teams and depots, or shelters: one layer each, so that the layer panel can switch them apart. */
function resourceLayer(id: string, data: ResourceItem[]): LayerDescriptor {
  return {
    type: 'ScatterplotLayer',
    props: {
      id,
      data,
      visible: data.length > 0,
      pickable: true,
      getPosition: (r: ResourceItem) => r.location,
      getFillColor: (r: ResourceItem) => RESOURCE_COLOR[r.kind],
      getLineColor: [10, 20, 30, 255],
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 2,
      radiusUnits: 'pixels',
      getRadius: MAP_CONFIG.resourceRadiusPixels,
    },
  };
}

/** deck.gl's own scale props per layer type (screen-px sizes are multiplied on the GPU). */
const PIXEL_SCALE_PROPS: Record<LayerType, string[]> = {
  GeoJsonLayer: ['lineWidthScale'],
  TextLayer: ['sizeScale'],
  PathLayer: ['widthScale'],
  PolygonLayer: ['lineWidthScale'],
  ScatterplotLayer: ['radiusScale', 'lineWidthScale'],
  HexagonLayer: [],
};

function applyPixelScale(layers: LayerDescriptor[], pixelScale: number): LayerDescriptor[] {
  if (pixelScale === 1) return layers;
  return layers.map((l) => {
    const scaleProps = Object.fromEntries(PIXEL_SCALE_PROPS[l.type].map((name) => [name, pixelScale]));
    return { ...l, props: { ...l.props, ...scaleProps } };
  });
}

// ---------------------------------------------------------------------------------------------
// Picking

export type MapSelection =
  | { kind: 'device'; id: string; item: DevicePoint }
  | { kind: 'alert'; id: string; item: AlertItem }
  | { kind: 'incident'; id: string; item: IncidentItem }
  | { kind: 'asset'; id: string; item: AssetItem }
  | { kind: 'handler'; id: string; item: HandlerItem }
  | { kind: 'resource'; id: string; item: ResourceItem }
  | { kind: 'camera'; id: string; item: CameraView };

/** What a click on `layerId` picked, or null for the base map. */
export function selectionFromPick(layerId: string | undefined, object: unknown): MapSelection | null {
  if (!layerId || !object || typeof object !== 'object') return null;
  switch (layerId) {
    case LAYER_IDS.devices:
      return { kind: 'device', id: (object as DevicePoint).id, item: object as DevicePoint };
    case LAYER_IDS.alertPulse:
      return { kind: 'alert', id: (object as AlertItem).id, item: object as AlertItem };
    case LAYER_IDS.incidents:
    case LAYER_IDS.slaRing:
      return { kind: 'incident', id: (object as IncidentItem).id, item: object as IncidentItem };
    case LAYER_IDS.assetAreas:
    case LAYER_IDS.assetLines:
    case LAYER_IDS.assetPoints:
      return { kind: 'asset', id: (object as AssetItem).id, item: object as AssetItem };
    case LAYER_IDS.handlers:
      return { kind: 'handler', id: (object as HandlerItem).id, item: object as HandlerItem };
    case LAYER_IDS.resources:
    case LAYER_IDS.shelters:
      return { kind: 'resource', id: (object as ResourceItem).id, item: object as ResourceItem };
    default:
      return cameraSelectionFromPick(layerId, object);
  }
}
