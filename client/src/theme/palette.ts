/**
 * The dark wall palette. Status colours follow the Chinese four-colour warning scheme; normal is
 * teal-green, offline is grey. RGB tuples feed deck.gl, hex strings feed CSS and ECharts.
 */
import type { AlertLevel, DeviceStatus } from '@scenes/domain';

export type Rgb = [number, number, number];
export type Rgba = [number, number, number, number];

export const STATUS_RGB: Record<DeviceStatus, Rgb> = {
  normal: [0, 214, 170],
  blue: [48, 140, 255],
  yellow: [255, 214, 0],
  orange: [255, 140, 0],
  red: [255, 48, 64],
  offline: [120, 128, 140],
};

export function rgbToHex([r, g, b]: Rgb): string {
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

export const LEVEL_HEX: Record<AlertLevel, string> = {
  red: rgbToHex(STATUS_RGB.red),
  orange: rgbToHex(STATUS_RGB.orange),
  yellow: rgbToHex(STATUS_RGB.yellow),
  blue: rgbToHex(STATUS_RGB.blue),
};

export const STATUS_HEX: Record<DeviceStatus, string> = {
  normal: rgbToHex(STATUS_RGB.normal),
  ...LEVEL_HEX,
  offline: rgbToHex(STATUS_RGB.offline),
};

/** Map base colours. */
export const MAP_RGBA = {
  districtFill: [14, 30, 52, 235] as Rgba,
  districtLine: [86, 150, 210, 200] as Rgba,
  districtLabel: [200, 222, 245, 255] as Rgba,
  /** the dark outline around map names (district labels) */
  labelHalo: [4, 12, 26, 235] as Rgba,
  river: [40, 130, 230, 220] as Rgba,
  pipe: [90, 170, 200, 160] as Rgba,
  slaTrack: [255, 255, 255, 40] as Rgba,
  handlerIdle: [120, 220, 255, 255] as Rgba,
  handlerBusy: [255, 200, 60, 255] as Rgba,
  handlerOff: [140, 140, 150, 200] as Rgba,
  handlerLabel: [230, 240, 255, 255] as Rgba,
  resourceRescue: [255, 120, 200, 255] as Rgba,
  resourceDepot: [180, 140, 255, 255] as Rgba,
  resourceShelter: [90, 230, 120, 255] as Rgba,
  incidentFill: [255, 255, 255, 230] as Rgba,
  /** an incident past its resolution deadline (issue 14: red on every map) */
  incidentOverdueFill: [255, 48, 64, 255] as Rgba,
};

/** Chart theme (dark). */
export interface ChartTheme {
  text: string;
  textDim: string;
  axisLine: string;
  splitLine: string;
  /** series colours in order */
  palette: string[];
  levelColors: Record<AlertLevel | 'warning' | 'guarantee', string>;
  /** design px */
  fontSizePx: number;
  fontFamily: string;
}

/** "Noto Sans SC" is self-hosted (client/src/fonts.ts); the rest are system fallbacks. */
export const CJK_FONT_STACK =
  '"Noto Sans SC","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif';

export const DARK_CHART_THEME: ChartTheme = {
  text: '#d8e6ff',
  textDim: '#8aa2c4',
  axisLine: '#3a5273',
  splitLine: 'rgba(90,130,180,0.18)',
  palette: ['#00d6aa', '#3fa9ff', '#ffd24a', '#ff8a3d', '#c77dff', '#5ee0ff', '#ff5c8a', '#9be15d'],
  levelColors: { ...LEVEL_HEX, warning: LEVEL_HEX.yellow, guarantee: LEVEL_HEX.red },
  fontSizePx: 16,
  fontFamily: CJK_FONT_STACK,
};
