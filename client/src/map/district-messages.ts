/**
 * UI strings of the district drill-down (issue 17), Chinese first, following the shared `lang`
 * setting. `en` is typed against `zh`: a missing translation is a compile error.
 */
import { translator } from '../i18n/i18n';

export const zh = {
  'drill.city': '青岛市',
  'drill.label': '区域',
  'drill.pick': '选择区市',
  'drill.backTitle': '返回全市',
  'drill.pickTitle': '选择一个区市，大屏只显示该区市的数据',
};

export type DrillKey = keyof typeof zh;

export const en: Record<DrillKey, string> = {
  'drill.city': 'Qingdao',
  'drill.label': 'Area',
  'drill.pick': 'District',
  'drill.backTitle': 'Back to the whole city',
  'drill.pickTitle': 'Pick a district: the screen then shows that district only',
};

/** Translate a drill-down key in the current language. */
export const dt = translator<DrillKey>({ zh, en });
