/**
 * The deck.gl layers of the history view's area map (issue 16), one function per role, bottom to
 * top: the offline base (sea, districts, water, bridges, place names), the district the search is
 * narrowed to, the drawn area, the drawing in progress, and the page's results as dots.
 * Data arrays are passed in (the component keeps their identity while nothing changes).
 */
import type { Layer } from '@deck.gl/core';
import { GeoJsonLayer, PathLayer, PolygonLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { Alert, AlertLevel, DistrictCode, Incident, LngLat, Priority } from '@scenes/domain';
import { districtFeature, QINGDAO_DISTRICTS } from '@scenes/geo/districts';
import type { Lang } from '../../../i18n/i18n';
import { offlineDetailLayers, seaLayer } from '../../../map/offline-base';
import { MAP_RGBA, STATUS_RGB, type Rgba } from '../../../theme/palette';

export const AREA_MAP_STYLE = {
  areaFill: [63, 208, 255, 40] as Rgba,
  areaLine: [63, 208, 255, 230] as Rgba,
  areaLineWidthPixels: 2,
  draftLine: [255, 255, 255, 200] as Rgba,
  draftLineWidthPixels: 1.5,
  draftVertex: [255, 255, 255, 255] as Rgba,
  draftVertexRadiusPixels: 4,
  districtLine: [63, 208, 255, 200] as Rgba,
  districtLineWidthPixels: 2,
  dotRadiusPixels: 5,
  selectedDotRadiusPixels: 8,
  dotOutline: [2, 8, 18, 255] as Rgba,
  selectedDotOutline: [255, 255, 255, 255] as Rgba,
} as const;

/** A result on the map: an incident or an alert, coloured by priority or level. */
export interface ResultDot {
  id: string;
  location: LngLat;
  color: Rgba;
}

/** An incident's dot takes the colour of the level its priority answers (the table's colours). */
const PRIORITY_LEVEL: Record<Priority, AlertLevel> = { P1: 'red', P2: 'orange', P3: 'yellow', P4: 'blue' };
const rgba = (level: AlertLevel): Rgba => [...STATUS_RGB[level], 255];

export function incidentDots(incidents: readonly Incident[]): ResultDot[] {
  return incidents.map((i) => ({ id: i.id, location: i.location, color: rgba(PRIORITY_LEVEL[i.priority]) }));
}

export function alertDots(alerts: readonly Alert[]): ResultDot[] {
  return alerts.map((a) => ({ id: a.id, location: a.location, color: rgba(a.peakLevel) }));
}

export function areaBaseLayers(opts: { zoom: number; lang: Lang }): Layer[] {
  return [
    seaLayer(),
    new GeoJsonLayer({
      id: 'history-area-districts',
      data: QINGDAO_DISTRICTS,
      stroked: true,
      filled: true,
      getFillColor: MAP_RGBA.districtFill,
      getLineColor: MAP_RGBA.districtLine,
      lineWidthUnits: 'pixels',
      getLineWidth: 1,
      pickable: false,
    }),
    ...offlineDetailLayers(opts),
  ];
}

/** The outline of the district filter's district (hidden when none). */
export function pickedDistrictLayer(code: DistrictCode | ''): Layer {
  const feature = code ? districtFeature(code) : undefined;
  return new GeoJsonLayer({
    id: 'history-area-picked-district',
    data: feature ? [feature] : [],
    visible: feature !== undefined,
    filled: false,
    stroked: true,
    getLineColor: AREA_MAP_STYLE.districtLine,
    lineWidthUnits: 'pixels',
    getLineWidth: AREA_MAP_STYLE.districtLineWidthPixels,
    pickable: false,
  });
}

/** The searched area, or the preview of a rectangle being drawn (`rings`: open rings). */
export function areaLayer(id: string, rings: readonly LngLat[][]): Layer {
  return new PolygonLayer<LngLat[]>({
    id,
    data: rings,
    visible: rings.length > 0,
    getPolygon: (r) => r,
    filled: true,
    stroked: true,
    getFillColor: AREA_MAP_STYLE.areaFill,
    getLineColor: AREA_MAP_STYLE.areaLine,
    lineWidthUnits: 'pixels',
    getLineWidth: AREA_MAP_STYLE.areaLineWidthPixels,
    pickable: false,
  });
}

/** A polygon being drawn: its edges so far (with the rubber band to the pointer) and its vertices. */
export function draftLayers(path: readonly LngLat[], vertices: readonly LngLat[]): Layer[] {
  return [
    new PathLayer<readonly LngLat[]>({
      id: 'history-area-draft-path',
      data: path.length > 1 ? [path] : [],
      getPath: (p) => p as LngLat[],
      getColor: AREA_MAP_STYLE.draftLine,
      widthUnits: 'pixels',
      getWidth: AREA_MAP_STYLE.draftLineWidthPixels,
      pickable: false,
    }),
    new ScatterplotLayer<LngLat>({
      id: 'history-area-draft-vertices',
      data: vertices,
      getPosition: (p) => p,
      getFillColor: AREA_MAP_STYLE.draftVertex,
      radiusUnits: 'pixels',
      getRadius: AREA_MAP_STYLE.draftVertexRadiusPixels,
      pickable: false,
    }),
  ];
}

/** The page's results; the selected one larger and ringed white. Pickable: a click selects. */
export function resultDotsLayer(dots: readonly ResultDot[], selectedId: string): Layer {
  return new ScatterplotLayer<ResultDot>({
    id: 'history-area-results',
    data: dots,
    getPosition: (d) => d.location,
    getFillColor: (d) => d.color,
    getLineColor: (d) => (d.id === selectedId ? AREA_MAP_STYLE.selectedDotOutline : AREA_MAP_STYLE.dotOutline),
    getRadius: (d) => (d.id === selectedId ? AREA_MAP_STYLE.selectedDotRadiusPixels : AREA_MAP_STYLE.dotRadiusPixels),
    stroked: true,
    radiusUnits: 'pixels',
    lineWidthUnits: 'pixels',
    getLineWidth: 1.5,
    pickable: true,
    updateTriggers: { getLineColor: selectedId, getRadius: selectedId },
  });
}
