/**
 * Test fixtures of the exports: alerts and area warnings covering the edge cases of CAP (a district
 * polygon, a radius circle, a Cancel with references, an Update after a peak, text that needs XML
 * escaping and characters XML forbids). Used by the builders' tests and server/test/cap-xsd.test.ts.
 */
import type { Alert } from '../domain';
import type { AreaWarning } from '../storm/area-warnings';
import { makeAlert, SHINAN, T0, MINUTE_MS } from '../storm/fixtures/storm-fixtures';

/** A title with every character XML escapes, and one (U+0001) XML 1.0 does not allow at all. */
export const NASTY_TITLE = `暴雨 <红色> & "quoted" 'apos' \u0001 ]]> end`;

export const ACTIVE_ALERT: Alert = { ...makeAlert('rg-1', { level: 'red' }), value: 62.5, metric: 'rain1hMm' };
export const ESCAPING_ALERT: Alert = { ...makeAlert('rg-2', { level: 'yellow', firstTs: T0 + MINUTE_MS }), title: NASTY_TITLE, titleEn: NASTY_TITLE };
export const CLEARED_ALERT: Alert = {
  ...makeAlert('rg-3', { level: 'orange', cleared: true }),
  clearedTs: T0 + 30 * MINUTE_MS,
  lastTs: T0 + 20 * MINUTE_MS,
};
/** came down from red to blue: an Update of the red message */
export const DOWNGRADED_ALERT: Alert = {
  ...makeAlert('gas-1', { level: 'blue', district: '370203' }),
  deviceKind: 'gas-detector',
  peakLevel: 'red',
  lastTs: T0 + 5 * MINUTE_MS,
  count: 4,
};

export const DISTRICT_WARNING: AreaWarning = {
  id: `aw:area.rainfall.district:370202:${T0}`,
  ruleId: 'area.rainfall.district',
  area: { kind: 'district', district: '370202' },
  district: '370202',
  level: 'red',
  alertIds: [ACTIVE_ALERT.id, ESCAPING_ALERT.id],
  deviceIds: ['rg-1', 'rg-2'],
  firstTs: T0,
  lastTs: T0 + MINUTE_MS,
  active: true,
  title: '区域强降雨预警',
  titleEn: 'District rain warning',
};

/** a multi-polygon district (黄岛区, islands) */
export const ISLAND_DISTRICT_WARNING: AreaWarning = {
  ...DISTRICT_WARNING,
  id: `aw:area.rainfall.district:370211:${T0}`,
  area: { kind: 'district', district: '370211' },
  district: '370211',
};

export const RADIUS_WARNING: AreaWarning = {
  ...DISTRICT_WARNING,
  id: `aw:area.rainfall.radius:rg-1:${T0}`,
  area: { kind: 'radius', centre: SHINAN, radiusM: 2500 },
  level: 'orange',
  title: NASTY_TITLE,
};

export const LIFTED_WARNING: AreaWarning = {
  ...DISTRICT_WARNING,
  id: `aw:area.rainfall.district:370203:${T0}`,
  area: { kind: 'district', district: '370203' },
  district: '370203',
  active: false,
  lastTs: T0 + 40 * MINUTE_MS,
};

export const CAP_FIXTURE_ALERTS: Alert[] = [ACTIVE_ALERT, ESCAPING_ALERT, CLEARED_ALERT, DOWNGRADED_ALERT];
export const CAP_FIXTURE_WARNINGS: AreaWarning[] = [DISTRICT_WARNING, ISLAND_DISTRICT_WARNING, RADIUS_WARNING, LIFTED_WARNING];
