/**
 * District drill-down on the map (issue 17): the chosen district outlined and the others dimmed,
 * its bounds for framing, the district a click on the district polygons picked, and the
 * `?district=` query value read safely. Pure: plain `{ type, props }` descriptors, like
 * scene-to-layer-props.ts.
 *
 * The highlight is page state, not a layer of the panel: its ids (`drill-…`) belong to no layer
 * group (layer-groups.ts), so it stays drawn whatever the viewer switches off.
 */
import { DistrictCodeSchema } from '@scenes/domain';
import type { DistrictCode, LngLat } from '@scenes/domain';
import { districtFeature, QINGDAO_DISTRICTS } from '@scenes/geo/districts';
import type { DistrictCollection, DistrictFeature } from '@scenes/geo/districts';
import type { Rgba } from '../theme/palette';
import { LAYER_IDS } from './scene-to-layer-props';
import type { LayerDescriptor } from './scene-to-layer-props';

export const DRILL_LAYER_IDS = {
  /** every other district, dimmed */
  dim: 'drill-dim',
  /** the chosen district's outline */
  outline: 'drill-outline',
} as const;

export const DRILL_STYLE = {
  /** over the districts outside the drill-down: the background shows through, faintly */
  dimFill: [4, 10, 20, 170] as Rgba,
  /** the chosen district's outline: bright cyan, readable at 3 m */
  outline: [90, 220, 255, 255] as Rgba,
  /** outline width, px before the page's pixel scale */
  outlineWidthPixels: 4,
};

const othersByCode = new Map<DistrictCode, DistrictCollection>();
const ownByCode = new Map<DistrictCode, DistrictFeature[]>();

/** Every district but `code` (memoised: the same data object for the same district). */
function otherDistricts(code: DistrictCode): DistrictCollection {
  let c = othersByCode.get(code);
  if (!c) {
    c = { type: 'FeatureCollection', features: QINGDAO_DISTRICTS.features.filter((f) => f.properties.code !== code) };
    othersByCode.set(code, c);
  }
  return c;
}

function ownDistrict(code: DistrictCode): DistrictFeature[] {
  let c = ownByCode.get(code);
  if (!c) {
    const f = districtFeature(code);
    c = f ? [f] : [];
    ownByCode.set(code, c);
  }
  return c;
}

/**
 * The drill-down layers for `district` (none for the city view), to be drawn above the scene's:
 * the other districts dimmed, the chosen one outlined. Neither is pickable, so a click on a
 * device or on another district passes through to the layers below.
 */
export function districtHighlightLayers(district: DistrictCode | null, opts: { pixelScale?: number } = {}): LayerDescriptor[] {
  if (district === null) return [];
  const scale = opts.pixelScale ?? 1;
  return [
    {
      type: 'GeoJsonLayer',
      props: {
        id: DRILL_LAYER_IDS.dim,
        data: otherDistricts(district),
        visible: true,
        pickable: false,
        filled: true,
        stroked: false,
        getFillColor: DRILL_STYLE.dimFill,
      },
    },
    {
      type: 'GeoJsonLayer',
      props: {
        id: DRILL_LAYER_IDS.outline,
        data: ownDistrict(district),
        visible: true,
        pickable: false,
        filled: false,
        stroked: true,
        getLineColor: DRILL_STYLE.outline,
        lineWidthUnits: 'pixels',
        getLineWidth: DRILL_STYLE.outlineWidthPixels * scale,
        lineJointRounded: true,
        updateTriggers: { getLineWidth: scale },
      },
    },
  ];
}

/** The district a click picked on the district polygons, or null for any other layer. */
export function districtFromPick(layerId: string | undefined, object: unknown): DistrictCode | null {
  if (layerId !== LAYER_IDS.districts || !object || typeof object !== 'object') return null;
  const code = (object as { properties?: { code?: unknown } }).properties?.code;
  return parseDistrictParam(code);
}

/** A `?district=` query value (string, array or missing) as a district code; null when it is none. */
export function parseDistrictParam(value: unknown): DistrictCode | null {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  const parsed = DistrictCodeSchema.safeParse(first);
  return parsed.success ? parsed.data : null;
}

/**
 * The bounds to frame a district by, [[west, south], [east, north]] degrees: its largest polygon
 * part's (黄岛区's outlying islands would otherwise shrink the district to a corner of the map).
 */
export function districtBounds(code: DistrictCode): [LngLat, LngLat] | null {
  const f = districtFeature(code);
  if (!f) return null;
  const parts = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  let best: { area: number; b: [number, number, number, number] } | null = null;
  for (const rings of parts) {
    const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [lng, lat] of rings[0] ?? []) {
      b[0] = Math.min(b[0], lng);
      b[1] = Math.min(b[1], lat);
      b[2] = Math.max(b[2], lng);
      b[3] = Math.max(b[3], lat);
    }
    const area = (b[2] - b[0]) * (b[3] - b[1]);
    if (Number.isFinite(area) && (!best || area > best.area)) best = { area, b };
  }
  return best
    ? [
        [best.b[0], best.b[1]],
        [best.b[2], best.b[3]],
      ]
    : null;
}

/**
 * `query` with `?district=` set to `code`, or removed for the city view; every other key (the
 * playlist's `rotate`, the wall's `layers`) kept.
 */
export function withDistrictQuery<Q extends Record<string, unknown>>(query: Q, code: DistrictCode | null): Q {
  const next: Record<string, unknown> = { ...query };
  if (code === null) delete next.district;
  else next.district = code;
  return next as Q;
}
