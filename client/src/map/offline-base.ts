/**
 * The offline base (issue 17): what every map draws when no raster basemap is configured, chosen,
 * or loading — built only from data the app ships, so it never requests anything.
 *
 *  - sea: a flat sea colour under everything; land: the scene's own district fill and outlines.
 *    (A 6-px coastline glow along the full 14k-vertex boundaries was dropped: on a software-GL wall
 *    it cost the GPU process 0.6–0.9 s per map frame — PathLayer vertex work is what SwiftShader is
 *    slowest at — for a line the district outlines already draw.) Outside Qingdao we have no
 *    coastline data, so neighbouring land reads as "sea colour" — honest about what we know.
 *  - the registry seed's rivers and reservoirs (water), bridges, and the pipe network as dim lines;
 *  - place labels (rivers, reservoirs, bridges) from zoom `OFFLINE_BASE_STYLE.placeLabelMinZoom`.
 *
 * Dark and low-contrast on purpose: alerts and incidents must be the brightest things on the wall.
 * The data is module-level and never changes, so deck.gl keeps every attribute across renders.
 */
import type { Layer } from '@deck.gl/core';
import { PathLayer, ScatterplotLayer, SolidPolygonLayer, TextLayer } from '@deck.gl/layers';
import type { Asset, LngLat } from '@scenes/domain';
import { QINGDAO_ASSETS } from '@scenes/city/qingdao';
import type { Lang } from '../i18n/i18n';
import { CJK_FONT_STACK, type Rgba } from '../theme/palette';
import { characterSetFor } from './scene-to-layer-props';

export const OFFLINE_BASE_STYLE = {
  sea: [5, 14, 28, 255] as Rgba,
  water: [30, 80, 130, 150] as Rgba,
  waterWidthPixels: 2.5,
  reservoirRadiusM: 600,
  bridge: [120, 135, 155, 120] as Rgba,
  bridgeWidthPixels: 2,
  pipe: [50, 95, 110, 90] as Rgba,
  pipeWidthPixels: 1,
  placeLabel: [120, 150, 180, 170] as Rgba,
  placeLabelSizePixels: 13,
  /** place names appear from this view zoom (below it they would crowd the district names) */
  placeLabelMinZoom: 11,
  /** pipes appear from this view zoom */
  pipeMinZoom: 11,
} as const;

/** A rectangle well beyond any view of the city (degrees), painted as sea. */
const SEA_EXTENT: LngLat[] = [
  [60, -10],
  [160, -10],
  [160, 70],
  [60, 70],
];

const ofKinds = (...kinds: Asset['kind'][]) => QINGDAO_ASSETS.filter((a) => kinds.includes(a.kind));
const lineOf = (a: Asset): LngLat[] => (a.geometry.type === 'LineString' ? a.geometry.coordinates : []);
const pointOf = (a: Asset): LngLat => (a.geometry.type === 'Point' ? a.geometry.coordinates : [0, 0]);

const RIVERS = ofKinds('river');
const RESERVOIRS = ofKinds('reservoir');
const BRIDGES = ofKinds('bridge');
const PIPES = ofKinds('pipe-segment');
const SEA = [{ polygon: SEA_EXTENT }];
const polygonOf = (d: { polygon: LngLat[] }) => d.polygon;

interface PlaceLabel {
  position: LngLat;
  name: string;
  nameEn: string;
}

/** A label at the middle vertex of a line, or at a point. */
function placeLabelOf(a: Asset): PlaceLabel {
  const line = lineOf(a);
  const position = line.length > 0 ? line[Math.floor(line.length / 2)]! : pointOf(a);
  return { position, name: a.name, nameEn: a.nameEn };
}
const PLACE_LABELS: PlaceLabel[] = [...RIVERS, ...RESERVOIRS, ...BRIDGES].map(placeLabelOf);
const PLACE_CHARACTER_SET = characterSetFor(PLACE_LABELS.flatMap((p) => [p.name, p.nameEn]));

export interface OfflineBaseOptions {
  /** deck.gl view zoom */
  zoom: number;
  lang: Lang;
  /** screen-px multiplier of the wall (DeckMap's pixelScale); default 1 */
  pixelScale?: number;
}

/**
 * The sea fill alone: the bottom of every map, also under a raster basemap while its tiles load.
 * Base layers keep the same props for the same options (module-level data and accessors): the
 * base deck redraws only when they change (base-deck.ts).
 */
export function seaLayer(): Layer {
  return new SolidPolygonLayer<{ polygon: LngLat[] }>({
    id: 'offline-sea',
    data: SEA,
    getPolygon: polygonOf,
    getFillColor: OFFLINE_BASE_STYLE.sea,
    pickable: false,
  });
}

/**
 * The offline base's detail, bottom to top: drawn right above the scene's district fill (which
 * is nearly opaque) and below every other overlay.
 */
export function offlineDetailLayers(opts: OfflineBaseOptions): Layer[] {
  const s = OFFLINE_BASE_STYLE;
  const showDetail = opts.zoom >= s.placeLabelMinZoom;
  const k = opts.pixelScale ?? 1;
  return [
    new PathLayer<Asset>({
      id: 'offline-pipes',
      data: PIPES,
      visible: opts.zoom >= s.pipeMinZoom,
      getPath: lineOf,
      getColor: s.pipe,
      widthUnits: 'pixels',
      getWidth: s.pipeWidthPixels * k,
      pickable: false,
    }),
    new PathLayer<Asset>({
      id: 'offline-rivers',
      data: RIVERS,
      getPath: lineOf,
      getColor: s.water,
      widthUnits: 'pixels',
      getWidth: s.waterWidthPixels * k,
      capRounded: true,
      jointRounded: true,
      pickable: false,
    }),
    new ScatterplotLayer<Asset>({
      id: 'offline-reservoirs',
      data: RESERVOIRS,
      getPosition: pointOf,
      getFillColor: s.water,
      getRadius: s.reservoirRadiusM,
      radiusUnits: 'meters',
      pickable: false,
    }),
    new PathLayer<Asset>({
      id: 'offline-bridges',
      data: BRIDGES,
      getPath: lineOf,
      getColor: s.bridge,
      widthUnits: 'pixels',
      getWidth: s.bridgeWidthPixels * k,
      pickable: false,
    }),
    new TextLayer<PlaceLabel>({
      id: 'offline-place-labels',
      data: PLACE_LABELS,
      visible: showDetail,
      getPosition: (d) => d.position,
      getText: (d) => (opts.lang === 'en' && d.nameEn ? d.nameEn : d.name),
      getColor: s.placeLabel,
      getSize: s.placeLabelSizePixels * k,
      sizeUnits: 'pixels',
      characterSet: PLACE_CHARACTER_SET,
      fontFamily: CJK_FONT_STACK,
      // centred on the place: deck.gl's label collisions test a label at its anchor (label-collisions.ts)
      updateTriggers: { getText: opts.lang },
      pickable: false,
    }),
  ];
}
