/**
 * The legend (issue 17): what each colour and symbol of a layer group means, taken from the same
 * constants the layers draw with, so the legend cannot drift from the map. Pure.
 */
import { MAP_RGBA, STATUS_RGB } from '../theme/palette';
import type { Rgba } from '../theme/palette';
import type { BilingualLabel, LayerGroupId, LayerVisibility } from './layer-groups';
import { LAYER_GROUP_IDS, LAYER_GROUP_LABELS } from './layer-groups';
import { MAINTENANCE_STYLE } from './scene-to-layer-props';
import { slaColor } from './sla-ring';
import { OFFLINE_BASE_STYLE } from './offline-base';

/** How a legend swatch is drawn (LegendSwatch in MapLegend.vue). */
export type LegendSymbol = 'dot' | 'ring' | 'line' | 'area' | 'hex' | 'arc' | 'camera';

export interface LegendEntry {
  symbol: LegendSymbol;
  /** main colour (dot fill, ring/line stroke) */
  color: Rgba;
  /** second colour: a dot's outline, an area's outline */
  accent?: Rgba;
  label: BilingualLabel;
}

const rgba = (rgb: readonly [number, number, number], a = 255): Rgba => [rgb[0], rgb[1], rgb[2], a];
const WHITE: Rgba = [255, 255, 255, 255];

/** The camera colour the camera layers are asked to use (helper of issue 17's video linkage). */
export const CAMERA_LEGEND_RGBA: Rgba = [120, 200, 255, 255];
/** The impact ring colour the impact layers are asked to use. */
export const IMPACT_LEGEND_RGBA: Rgba = [255, 140, 0, 220];

const STATUS_ENTRIES: LegendEntry[] = [
  { symbol: 'dot', color: rgba(STATUS_RGB.normal), label: { zh: '正常', en: 'Normal' } },
  { symbol: 'dot', color: rgba(STATUS_RGB.blue), label: { zh: '蓝色', en: 'Blue' } },
  { symbol: 'dot', color: rgba(STATUS_RGB.yellow), label: { zh: '黄色', en: 'Yellow' } },
  { symbol: 'dot', color: rgba(STATUS_RGB.orange), label: { zh: '橙色', en: 'Orange' } },
  { symbol: 'dot', color: rgba(STATUS_RGB.red), label: { zh: '红色', en: 'Red' } },
  { symbol: 'dot', color: rgba(STATUS_RGB.offline), label: { zh: '离线', en: 'Offline' } },
  { symbol: 'dot', color: rgba(MAINTENANCE_STYLE.fill), accent: MAINTENANCE_STYLE.ring, label: { zh: '维护中', en: 'Maintenance' } },
];

export const LEGEND_BY_GROUP: Record<LayerGroupId, readonly LegendEntry[]> = {
  basemap: [
    { symbol: 'line', color: OFFLINE_BASE_STYLE.water, label: { zh: '水系', en: 'Water' } },
    { symbol: 'line', color: OFFLINE_BASE_STYLE.bridge, label: { zh: '桥梁', en: 'Bridges' } },
  ],
  districts: [{ symbol: 'area', color: MAP_RGBA.districtFill, accent: MAP_RGBA.districtLine, label: { zh: '区界', en: 'District' } }],
  assets: [
    { symbol: 'line', color: MAP_RGBA.river, label: { zh: '河道', en: 'River' } },
    { symbol: 'line', color: MAP_RGBA.pipe, label: { zh: '管网', en: 'Pipes' } },
    { symbol: 'dot', color: rgba(STATUS_RGB.normal), accent: WHITE, label: { zh: '设施（按状态着色）', en: 'Asset (by status)' } },
  ],
  devices: STATUS_ENTRIES,
  heat: [
    { symbol: 'hex', color: rgba(STATUS_RGB.normal, 204), label: { zh: '全部正常', en: 'All normal' } },
    { symbol: 'hex', color: rgba(STATUS_RGB.red, 204), label: { zh: '按最严重设备着色', en: 'Worst device' } },
  ],
  alerts: (['red', 'orange', 'yellow', 'blue'] as const).map((level) => ({
    symbol: 'ring' as const,
    color: rgba(STATUS_RGB[level]),
    label: {
      red: { zh: '红色告警', en: 'Red alert' },
      orange: { zh: '橙色告警', en: 'Orange alert' },
      yellow: { zh: '黄色告警', en: 'Yellow alert' },
      blue: { zh: '蓝色告警', en: 'Blue alert' },
    }[level],
  })),
  incidents: [
    {
      symbol: 'dot',
      color: MAP_RGBA.incidentFill,
      accent: rgba(STATUS_RGB.orange),
      label: { zh: '事件（边框为级别）', en: 'Incident (ring: level)' },
    },
    { symbol: 'dot', color: MAP_RGBA.incidentOverdueFill, accent: rgba(STATUS_RGB.red), label: { zh: '超时未办结', en: 'Overdue' } },
    { symbol: 'arc', color: slaColor(0, false), label: { zh: '时限环：剩余充足', en: 'SLA: time left' } },
    { symbol: 'arc', color: slaColor(1, true), label: { zh: '时限环：已超时', en: 'SLA: breached' } },
  ],
  handlers: [
    { symbol: 'dot', color: MAP_RGBA.handlerIdle, accent: WHITE, label: { zh: '空闲', en: 'Idle' } },
    { symbol: 'dot', color: MAP_RGBA.handlerBusy, accent: WHITE, label: { zh: '处置中', en: 'Busy' } },
    { symbol: 'dot', color: MAP_RGBA.handlerOff, accent: WHITE, label: { zh: '离岗', en: 'Off duty' } },
  ],
  resources: [
    { symbol: 'dot', color: MAP_RGBA.resourceRescue, label: { zh: '救援队伍', en: 'Rescue team' } },
    { symbol: 'dot', color: MAP_RGBA.resourceDepot, label: { zh: '物资储备点', en: 'Supply depot' } },
  ],
  shelters: [{ symbol: 'dot', color: MAP_RGBA.resourceShelter, label: { zh: '避难场所', en: 'Shelter' } }],
  cameras: [{ symbol: 'camera', color: CAMERA_LEGEND_RGBA, label: { zh: '摄像机', en: 'Camera' } }],
  impact: [{ symbol: 'ring', color: IMPACT_LEGEND_RGBA, label: { zh: '影响范围', en: 'Impact range' } }],
};

export interface LegendSection {
  group: LayerGroupId;
  label: BilingualLabel;
  entries: readonly LegendEntry[];
}

/**
 * Legend sections of the visible groups that have something on the map (`present`: groups with
 * at least one layer in the current list; a group with nothing drawn is not explained).
 */
export function legendSections(visibility: LayerVisibility, present: ReadonlySet<LayerGroupId>): LegendSection[] {
  return LAYER_GROUP_IDS.filter((g) => !visibility.hidden.has(g) && present.has(g)).map((group) => ({
    group,
    label: LAYER_GROUP_LABELS[group],
    entries: LEGEND_BY_GROUP[group],
  }));
}

/** CSS colour of an RGBA tuple. */
export function cssRgba([r, g, b, a]: Rgba): string {
  return `rgba(${r}, ${g}, ${b}, ${(a / 255).toFixed(2)})`;
}
