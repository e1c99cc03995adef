/**
 * The impact range on the map (issue 17): the circle (fill and outline), the places inside it
 * highlighted (alerting devices, shelters, communities), lines from the centre to the nearest
 * rescue teams, depots and shelters, each labelled with its distance and travel time. Pure
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
}
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
  };
  built.set(range, b);
  return b;
}

/** Descriptors for an impact range (none without one). */
export function impactLayers(range: ImpactRange | null | undefined, opts: ImpactLayerOptions): LayerDescriptor[] {
  if (!range) return [];
  const b = build(range, opts.lang);
  const scale = opts.pixelScale ?? 1;
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
        data: b.links,
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
