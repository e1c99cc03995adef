/**
 * The impact range on the map (issue 17): the circle (fill and outline), the places inside it
 * highlighted (alerting devices, shelters, communities), lines from the centre to the nearest
 * rescue teams, depots and shelters, each labelled with its distance and travel time. At the
 * city's zoom the lines are short and their midpoints crowd the centre: a label is drawn only
 * where its line is long enough to be read beside it and it overlaps no label already placed
 * (nearest resources first; `placeLinkLabels`, per quarter zoom step). Pure
 * descriptor builder; ids start with `impact-` (the `impact` layer group). Descriptors are built
 * once per range object: the same `data` goes to deck.gl until a new range arrives.
 */
import type { LngLat, ResourceKind } from '@scenes/domain';
import type { ImpactRange, ImpactResource } from '@scenes/impact/impact-types';
import type { Lang } from '../i18n/i18n';
import { CJK_FONT_STACK } from '../theme/palette';
import { characterSetFor, type LayerDescriptor } from './scene-to-layer-props';
import { IMPACT_LEGEND_RGBA } from './layer-legend';

export const IMPACT_LAYER_IDS = {
  area: 'impact-area',
  inside: 'impact-inside',
  links: 'impact-links',
  targets: 'impact-targets',
  linkLabels: 'impact-link-labels',
} as const;

type Rgb = [number, number, number];
const RING_RGB: Rgb = [IMPACT_LEGEND_RGBA[0], IMPACT_LEGEND_RGBA[1], IMPACT_LEGEND_RGBA[2]];
const AREA_FILL_ALPHA = 40;
const RING_WIDTH_PX = 2.5;
/** one colour per resource kind, as the scene's resource symbols */
const KIND_RGB: Record<ResourceKind, Rgb> = { 'rescue-team': [255, 90, 90], 'supply-depot': [255, 200, 60], shelter: [0, 214, 170] };
const INSIDE_RGB: Record<ImpactMark['role'], Rgb> = { alerting: [255, 60, 60], shelter: [0, 214, 170], community: [120, 200, 255] };
const INSIDE_RADIUS_PX = 9;
const TARGET_RADIUS_PX = 7;
const LINK_WIDTH_PX = 2;
const LABEL_SIZE_PX = 15;
const METRES_PER_KM = 1000;

/** A highlighted place inside the range. */
export interface ImpactMark {
  id: string;
  role: 'alerting' | 'shelter' | 'community';
  location: LngLat;
}

/** A line from the centre to a nearest resource, with its label. */
export interface ImpactLink {
  id: string;
  kind: ResourceKind;
  path: [LngLat, LngLat];
  /** where the label sits: the line's midpoint */
  labelAt: LngLat;
  label: string;
}

export interface ImpactLayerOptions {
  lang: Lang;
  /** screen-px multiplier (the wall's panel scale); default 1 */
  pixelScale?: number;
  /** the map's zoom: labels that would crowd at it are left out; without it every label is drawn */
  zoom?: number;
}

/** a line shorter than this on screen gets no label (the label would cover the line and its end), px at scale 1 */
const MIN_LABELLED_LINE_PX = 70;
/** air around a label's box when testing overlaps, px at scale 1 */
const LABEL_GAP_PX = 4;
/** labels are placed again only when the zoom moves by this much (the data keeps its identity in between) */
const ZOOM_STEP = 0.25;
/** deck.gl's web-mercator world is 512 px wide at zoom 0 */
const WORLD_PX_AT_ZOOM_0 = 512;
const EARTH_CIRCUMFERENCE_M = 40_075_016.686;
const DEG = Math.PI / 180;

/** The zoom step labels are placed for (a view change within one step keeps the placement). */
export function impactLabelZoomKey(zoom: number): number {
  return Math.floor(zoom / ZOOM_STEP) * ZOOM_STEP;
}

/** Width of a label in em: CJK characters are about 1 em, the rest about 0.6. */
function labelWidthEm(text: string): number {
  let w = 0;
  for (const ch of text) w += ch.charCodeAt(0) > 0x2e80 ? 1 : 0.6;
  return w;
}

/**
 * The links whose labels can be drawn at `zoom` around `center` without crowding: a line at least
 * MIN_LABELLED_LINE_PX long on screen, and a label box that overlaps none placed before it
 * (shorter lines — the nearest resources — first). Local mercator around the centre: exact enough
 * for a range of a few km.
 */
export function placeLinkLabels(links: readonly ImpactLink[], center: LngLat, zoom: number, sizePx: number, scale = 1): ImpactLink[] {
  const pxPerM = (WORLD_PX_AT_ZOOM_0 * 2 ** zoom) / (EARTH_CIRCUMFERENCE_M * Math.cos(center[1] * DEG));
  const mPerDegLng = (EARTH_CIRCUMFERENCE_M / 360) * Math.cos(center[1] * DEG);
  const mPerDegLat = EARTH_CIRCUMFERENCE_M / 360;
  const px = (p: LngLat): [number, number] => [(p[0] - center[0]) * mPerDegLng * pxPerM, -(p[1] - center[1]) * mPerDegLat * pxPerM];
  const measured = links.map((l) => {
    const [x1, y1] = px(l.path[1]);
    const [cx, cy] = px(l.labelAt);
    const halfW = (labelWidthEm(l.label) * sizePx) / 2 + LABEL_GAP_PX * scale;
    const halfH = (sizePx * 1.2) / 2 + LABEL_GAP_PX * scale;
    return { l, length: Math.hypot(x1, y1), box: [cx - halfW, cy - halfH, cx + halfW, cy + halfH] as const };
  });
  measured.sort((a, b) => a.length - b.length);
  const kept: (typeof measured)[number][] = [];
  for (const m of measured) {
    if (m.length < MIN_LABELLED_LINE_PX * scale) continue;
    const [ax0, ay0, ax1, ay1] = m.box;
    if (kept.some(({ box: [bx0, by0, bx1, by1] }) => ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1)) continue;
    kept.push(m);
  }
  // in the links' own order (stable data for deck.gl)
  const keep = new Set(kept.map((k) => k.l));
  return links.filter((l) => keep.has(l));
}

/** "850 m · 3 分" / "1.2 km · 3 min" */
export function linkLabel(r: Pick<ImpactResource, 'distanceM' | 'etaMin'>, lang: Lang): string {
  const d = r.distanceM >= METRES_PER_KM ? `${(r.distanceM / METRES_PER_KM).toFixed(1)} km` : `${r.distanceM} m`;
  return `${d} · ${r.etaMin} ${lang === 'zh' ? '分' : 'min'}`;
}

function marksOf(range: ImpactRange): ImpactMark[] {
  return [
    ...range.communities.map((c) => ({ id: c.id, role: 'community' as const, location: c.location })),
    ...range.shelters.items.map((s) => ({ id: s.id, role: 'shelter' as const, location: s.location })),
    ...range.devices.alerting.map((d) => ({ id: d.id, role: 'alerting' as const, location: d.location })),
  ];
}

function linksOf(range: ImpactRange, lang: Lang): ImpactLink[] {
  const out: ImpactLink[] = [];
  for (const kind of Object.keys(range.nearest) as ResourceKind[])
    for (const r of range.nearest[kind]) {
      const mid: LngLat = [(range.center[0] + r.location[0]) / 2, (range.center[1] + r.location[1]) / 2];
      out.push({ id: r.id, kind, path: [range.center, r.location], labelAt: mid, label: linkLabel(r, lang) });
    }
  return out;
}

interface Built {
  lang: Lang;
  marks: ImpactMark[];
  links: ImpactLink[];
  areas: { polygon: LngLat[][] }[];
  characterSet: string;
  /** the labelled links per zoom step and scale (a handful: the view's steps while this range is shown) */
  labelled: Map<string, ImpactLink[]>;
}
/** zoom steps remembered per range before the oldest is dropped */
const MAX_LABEL_PLACEMENTS = 16;
const built = new WeakMap<ImpactRange, Built>();

function build(range: ImpactRange, lang: Lang): Built {
  const prev = built.get(range);
  if (prev && prev.lang === lang) return prev;
  const links = linksOf(range, lang);
  const b: Built = {
    lang,
    marks: marksOf(range),
    links,
    areas: [{ polygon: range.polygon.coordinates }],
    characterSet: characterSetFor(links.map((l) => l.label)),
    labelled: new Map(),
  };
  built.set(range, b);
  return b;
}

function labelledLinks(b: Built, center: LngLat, zoom: number | undefined, scale: number): ImpactLink[] {
  if (zoom === undefined) return b.links;
  const step = impactLabelZoomKey(zoom);
  const key = `${step}|${scale}`;
  let out = b.labelled.get(key);
  if (!out) {
    out = placeLinkLabels(b.links, center, step, LABEL_SIZE_PX * scale, scale);
    if (b.labelled.size >= MAX_LABEL_PLACEMENTS) b.labelled.delete(b.labelled.keys().next().value!);
    b.labelled.set(key, out);
  }
  return out;
}

/** Descriptors for an impact range (none without one). */
export function impactLayers(range: ImpactRange | null | undefined, opts: ImpactLayerOptions): LayerDescriptor[] {
  if (!range) return [];
  const b = build(range, opts.lang);
  const scale = opts.pixelScale ?? 1;
  const labelled = labelledLinks(b, range.center, opts.zoom, scale);
  return [
    {
      type: 'PolygonLayer',
      props: {
        id: IMPACT_LAYER_IDS.area,
        data: b.areas,
        visible: true,
        pickable: false,
        getPolygon: (a: { polygon: LngLat[][] }) => a.polygon,
        getFillColor: [...RING_RGB, AREA_FILL_ALPHA],
        getLineColor: IMPACT_LEGEND_RGBA,
        lineWidthUnits: 'pixels',
        getLineWidth: RING_WIDTH_PX * scale,
        stroked: true,
        filled: true,
      },
    },
    {
      type: 'PathLayer',
      props: {
        id: IMPACT_LAYER_IDS.links,
        data: b.links,
        visible: true,
        pickable: false,
        getPath: (l: ImpactLink) => l.path,
        getColor: (l: ImpactLink) => [...KIND_RGB[l.kind], 200],
        widthUnits: 'pixels',
        getWidth: LINK_WIDTH_PX * scale,
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: IMPACT_LAYER_IDS.inside,
        data: b.marks,
        visible: true,
        pickable: false,
        getPosition: (m: ImpactMark) => m.location,
        getRadius: INSIDE_RADIUS_PX * scale,
        radiusUnits: 'pixels',
        filled: false,
        stroked: true,
        getLineColor: (m: ImpactMark) => [...INSIDE_RGB[m.role], 255],
        lineWidthUnits: 'pixels',
        getLineWidth: 2 * scale,
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: IMPACT_LAYER_IDS.targets,
        data: b.links,
        visible: true,
        pickable: false,
        getPosition: (l: ImpactLink) => l.path[1],
        getRadius: TARGET_RADIUS_PX * scale,
        radiusUnits: 'pixels',
        getFillColor: (l: ImpactLink) => [...KIND_RGB[l.kind], 255],
        stroked: true,
        getLineColor: [255, 255, 255, 255],
        lineWidthUnits: 'pixels',
        getLineWidth: 1.5 * scale,
      },
    },
    {
      type: 'TextLayer',
      props: {
        id: IMPACT_LAYER_IDS.linkLabels,
        data: labelled,
        visible: true,
        pickable: false,
        getPosition: (l: ImpactLink) => l.labelAt,
        getText: (l: ImpactLink) => l.label,
        getColor: [255, 255, 255, 255],
        getSize: LABEL_SIZE_PX * scale,
        sizeUnits: 'pixels',
        characterSet: b.characterSet,
        fontFamily: CJK_FONT_STACK,
        fontWeight: 700,
        outlineWidth: 2,
        outlineColor: [0, 0, 0, 255],
        fontSettings: { sdf: true },
        background: false,
      },
    },
  ];
}
