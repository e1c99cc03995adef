import { describe, expect, it } from 'vitest';
import { SCREEN_SCENE_IDS } from '../domain';
import type { ChartData, FusedState, Kpi, SceneModel } from '../scene-model';
import { deepFreeze, FIXTURE_EXPECTED, FIXTURE_NOW_TS, FIXTURE_SERIES_LENGTH, makeFusedState } from '../test-fixtures/fused-state';
import { diffScene } from '../scene-diff';
import { SCENE_BUILDERS } from './index';
import { AGGREGATE_DATA_TICK_MS, MAX_ALERT_ITEMS } from './common';
import { COMMUNITY_WINDOW_MS } from './build-community-scene';
import { LEVEL_PIE_WINDOW_MS } from './build-overview-scene';

function kpiValue(kpis: readonly Kpi[], id: string): number | null {
  const found = kpis.find((k) => k.id === id);
  if (found === undefined) throw new Error(`no kpi ${id}`);
  return found.value;
}

/** JSON-able snapshot of the whole fused state, Maps included. */
function snapshot(state: FusedState): string {
  return JSON.stringify({ ...state, devices: [...state.devices], deviceStates: [...state.deviceStates], series: [...state.series] });
}

describe.each(SCREEN_SCENE_IDS)('the %s scene builder', (scene) => {
  const build = SCENE_BUILDERS[scene];

  it('is deterministic: the same input gives a deep-equal model and a null diff', () => {
    const a = build(makeFusedState());
    const b = build(makeFusedState());
    expect(b).toEqual(a);
    expect(diffScene(a, b)).toBeNull();
  });

  it('does not mutate its input', () => {
    const state = deepFreeze(makeFusedState());
    const before = snapshot(state);
    expect(() => build(state)).not.toThrow();
    expect(snapshot(state)).toBe(before);
  });

  it('stamps the model with state.nowTs and its own scene id', () => {
    const state = makeFusedState();
    const model = build(state);
    expect(model.scene).toBe(scene);
    expect(model.generatedTs).toBe(state.nowTs);
  });

  it('never draws a series longer than its window', () => {
    const state = makeFusedState();
    const model = build(state);
    for (const chart of Object.values(model.charts)) {
      if (chart.kind !== 'timeseries') continue;
      for (const line of chart.lines) {
        const window = state.series.get(line.id);
        const bound = window?.ts.length ?? state.alertTrend.counts.bridge.length;
        expect(line.points.length, line.id).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('does not depend on the order of its inputs', () => {
    const state = makeFusedState();
    const reversed = makeFusedState({
      devices: new Map([...state.devices].reverse()),
      deviceStates: new Map([...state.deviceStates].reverse()),
      alerts: [...state.alerts].reverse(),
      incidents: [...state.incidents].reverse(),
      handlers: [...state.handlers].reverse(),
      assets: [...state.assets].reverse(),
      resources: [...state.resources].reverse(),
    });
    expect(build(reversed)).toEqual(build(state));
  });

  it('gives every chart a data time and a staleness horizon', () => {
    const state = makeFusedState();
    for (const chart of Object.values(build(state).charts)) {
      expect(chart.dataTs).toBeGreaterThan(0);
      expect(chart.dataTs).toBeLessThanOrEqual(state.nowTs);
      expect(chart.expectedIntervalMs).toBeGreaterThan(0);
    }
  });

  it('keeps bar series aligned with their categories', () => {
    for (const chart of Object.values(build(makeFusedState()).charts)) {
      if (chart.kind !== 'bar') continue;
      expect(chart.categoriesEn).toHaveLength(chart.categories.length);
      for (const s of chart.series) expect(s.values).toHaveLength(chart.categories.length);
    }
  });

  it('outputs collections with unique ids sorted deterministically', () => {
    const model = build(makeFusedState());
    for (const key of ['devices', 'alerts', 'incidents', 'handlers', 'assets', 'resources'] as const) {
      const ids = model[key].map((item) => item.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    const deviceIds = model.devices.map((d) => d.id);
    expect(deviceIds).toEqual([...deviceIds].sort());
  });

  it('shows only open alerts', () => {
    for (const alert of build(makeFusedState()).alerts) expect(alert.cleared && alert.acknowledged).toBe(false);
  });
});

describe('buildOverviewScene', () => {
  const model = SCENE_BUILDERS.overview(makeFusedState());

  it('shows every device with its display status', () => {
    expect(model.devices).toHaveLength(FIXTURE_EXPECTED.deviceCount);
    for (const [id, status] of Object.entries(FIXTURE_EXPECTED.statuses)) {
      expect(model.devices.find((d) => d.id === id)?.s, id).toBe(status);
    }
  });

  it('computes the city KPIs', () => {
    expect(kpiValue(model.kpis, 'devicesOnline')).toBe(FIXTURE_EXPECTED.onlineCount);
    expect(kpiValue(model.kpis, 'onlineRate')).toBe(FIXTURE_EXPECTED.onlineRatePct);
    expect(kpiValue(model.kpis, 'openAlertsRed')).toBe(FIXTURE_EXPECTED.openAlertsByLevel.red);
    expect(kpiValue(model.kpis, 'openAlertsOrange')).toBe(FIXTURE_EXPECTED.openAlertsByLevel.orange);
    expect(kpiValue(model.kpis, 'openAlertsYellow')).toBe(FIXTURE_EXPECTED.openAlertsByLevel.yellow);
    expect(kpiValue(model.kpis, 'openAlertsBlue')).toBe(FIXTURE_EXPECTED.openAlertsByLevel.blue);
    expect(model.kpis.find((k) => k.id === 'openAlertsRed')?.level).toBe('red');
    expect(kpiValue(model.kpis, 'openIncidents')).toBe(FIXTURE_EXPECTED.openIncidents);
    expect(kpiValue(model.kpis, 'slaCompliance')).toBe(FIXTURE_EXPECTED.slaCompliancePct);
    expect(kpiValue(model.kpis, 'activeHandlers')).toBe(FIXTURE_EXPECTED.activeHandlers);
  });

  it('reports no SLA compliance (null, shown as —), not 100 %, when nothing was resolved today', () => {
    const state = makeFusedState();
    const unresolved = makeFusedState({ incidents: state.incidents.filter((i) => i.resolvedTs === undefined) });
    expect(kpiValue(SCENE_BUILDERS.overview(unresolved).kpis, 'slaCompliance')).toBeNull();
  });

  it('counts open incidents per district over all ten districts, and those finished in the last 24 h', () => {
    const chart = model.charts.incidentsByDistrict as Extract<ChartData, { kind: 'bar' }>;
    expect(chart.kind).toBe('bar');
    expect(chart.categories).toHaveLength(10);
    expect(chart.categories[0]).toBe('市南区');
    expect(chart.series.map((s) => s.id)).toEqual(['open', 'done24h']);
    const values = chart.series[0].values;
    expect(values.reduce((a, b) => a + b, 0)).toBe(FIXTURE_EXPECTED.openIncidents);
    const codes = ['370202', '370203', '370211', '370212', '370213', '370214', '370215', '370281', '370283', '370285'];
    for (const [code, count] of Object.entries(FIXTURE_EXPECTED.openIncidentsByDistrict)) expect(values[codes.indexOf(code)]).toBe(count);
    // inc-5 and inc-7 (resolved 16 h ago) in 市南区, inc-4 in 市北区
    const done = chart.series[1]!.values;
    expect(done[codes.indexOf('370202')]).toBe(2);
    expect(done[codes.indexOf('370203')]).toBe(1);
    expect(done.reduce((a, b) => a + b, 0)).toBe(3);
    // a day later they have left the window
    const later = SCENE_BUILDERS.overview(makeFusedState({ nowTs: FIXTURE_NOW_TS + 24 * 3_600_000 }));
    expect((later.charts.incidentsByDistrict as Extract<ChartData, { kind: 'bar' }>).series[1]!.values.every((v) => v === 0)).toBe(true);
  });

  it('draws the alert trend per scene over 24 hours and alerts by level', () => {
    const trend = model.charts.alertTrend as Extract<ChartData, { kind: 'timeseries' }>;
    expect(trend.lines.map((l) => l.id)).toEqual(['emergency', 'bridge', 'water', 'community']);
    for (const line of trend.lines) expect(line.points).toHaveLength(24);
    // every alert of the last 24 h at its peak, handled ones too (3 red, 5 orange of which 3 handled, 2 yellow, 1 handled blue)
    const pie = model.charts.alertsByLevel as Extract<ChartData, { kind: 'pie' }>;
    expect(pie.slices.map((s) => s.value)).toEqual([3, 5, 2, 1]);
    const older = makeFusedState({ alerts: makeFusedState().alerts.map((a) => ({ ...a, firstTs: a.firstTs - LEVEL_PIE_WINDOW_MS })) });
    expect((SCENE_BUILDERS.overview(older).charts.alertsByLevel as Extract<ChartData, { kind: 'pie' }>).slices.map((s) => s.value)).toEqual([
      0, 0, 0, 0,
    ]);
  });

  it('lists open alerts most severe first, open incidents before finished ones', () => {
    expect(model.alerts.map((a) => a.level)).toEqual(['red', 'red', 'red', 'orange', 'orange', 'orange', 'yellow', 'yellow']);
    const states = model.incidents.map((i) => i.state);
    expect(states.slice(0, 4).every((s) => ['reported', 'dispatched', 'accepted', 'on_site'].includes(s))).toBe(true);
    expect(model.incidents).toHaveLength(7);
    expect(model.assets).toHaveLength(10);
    expect(model.resources).toEqual([]);
  });

  it('drops incidents closed more than 24 h ago', () => {
    const state = makeFusedState();
    const old = { ...state.incidents[6], id: 'inc-old', closedTs: state.nowTs - 25 * 3_600_000 };
    const withOld = makeFusedState({ incidents: [...state.incidents, old] });
    expect(SCENE_BUILDERS.overview(withOld).incidents.map((i) => i.id)).not.toContain('inc-old');
  });

  it('caps the alert list', () => {
    const state = makeFusedState();
    const many = Array.from({ length: MAX_ALERT_ITEMS + 50 }, (_, i) => ({ ...state.alerts[0], id: `bulk|${i}`, lastTs: state.nowTs - i }));
    const big = SCENE_BUILDERS.overview(makeFusedState({ alerts: many }));
    expect(big.alerts).toHaveLength(MAX_ALERT_ITEMS);
    expect(big.alerts[0].id).toBe('bulk|0');
  });

  it('keeps open alerts in place when their devices report again: the next frame puts only the alert that changed', () => {
    const state = makeFusedState();
    const base = state.alerts[0]!;
    const open = Array.from({ length: 40 }, (_, i) => ({
      ...base,
      id: `open|${i}`,
      level: 'yellow' as const,
      cleared: false,
      firstTs: state.nowTs - 60_000 - i,
      lastTs: state.nowTs - 1_000,
    }));
    const before = SCENE_BUILDERS.overview(makeFusedState({ alerts: open }));
    // the device of the oldest alert reports again: its last-seen time is now the newest of all
    const seen = open.map((a, i) => (i === 39 ? { ...a, lastTs: state.nowTs, count: a.count + 1 } : a));
    const after = SCENE_BUILDERS.overview(makeFusedState({ alerts: seen }));
    expect(after.alerts.map((a) => a.id)).toEqual(before.alerts.map((a) => a.id));
    const delta = diffScene(before, after);
    expect(delta?.alerts).toEqual({ put: [expect.objectContaining({ id: 'open|39', lastTs: state.nowTs })] });
  });

  it.each(SCREEN_SCENE_IDS)('%s: alert work reused per alerts array is transparent (same array twice, then a changed copy)', (scene) => {
    const build = SCENE_BUILDERS[scene];
    const state = makeFusedState();
    const first = build(state);
    expect(build(state)).toEqual(first);
    const changed = state.alerts.map((a, i) => (i === 0 ? { ...a, cleared: true, clearedTs: state.nowTs, acknowledged: true } : a));
    expect(build({ ...state, alerts: changed })).toEqual(build(makeFusedState({ alerts: structuredClone(changed) })));
  });
});

describe('buildBridgeScene', () => {
  const model = SCENE_BUILDERS.bridge(makeFusedState());

  it('shows only bridge devices, a red-alert device as red and an offline one as offline', () => {
    expect(model.devices.map((d) => d.id)).toEqual(['br-acc-1', 'br-df-1', 'br-incl-1', 'br-sg-1', 'br-sg-2', 'br-wim-1']);
    expect(model.devices.find((d) => d.id === 'br-sg-1')?.s).toBe('red');
    expect(model.devices.find((d) => d.id === 'br-incl-1')?.s).toBe('offline');
  });

  it('scores bridge health from device statuses', () => {
    const health = Object.fromEntries(model.assets.map((a) => [a.id, a.health]));
    expect(health).toEqual(FIXTURE_EXPECTED.bridgeHealth);
    expect(model.assets.find((a) => a.id === 'bridge-a')?.status).toBe('red');
    // offline ranks below alert levels: bridge-b has a yellow and an offline device
    expect(model.assets.find((a) => a.id === 'bridge-b')?.status).toBe('yellow');
  });

  it('computes the bridge KPIs', () => {
    expect(kpiValue(model.kpis, 'bridgesMonitored')).toBe(2);
    expect(kpiValue(model.kpis, 'healthAverage')).toBe(72.5);
    expect(kpiValue(model.kpis, 'overloadsToday')).toBe(2);
    expect(kpiValue(model.kpis, 'openStructuralAlerts')).toBe(1);
  });

  it('plots the max-strain gauge per bridge with the strain rule limits as marks', () => {
    const strain = model.charts.strain as Extract<ChartData, { kind: 'timeseries' }>;
    expect(strain.lines.map((l) => l.id)).toEqual(['br-sg-1.strain']);
    expect(strain.marks.map((m) => [m.level, m.value])).toEqual([
      ['red', 500],
      ['orange', 400],
      ['yellow', 300],
    ]);
    expect(strain.lines[0].points).toHaveLength(FIXTURE_SERIES_LENGTH);
    expect(strain.dataTs).toBe(strain.lines[0].points[FIXTURE_SERIES_LENGTH - 1][0]);
    const overloads = model.charts.overloads as Extract<ChartData, { kind: 'bar' }>;
    expect(overloads.series[0].values).toEqual([0, 2]);
    expect(Object.keys(model.charts).sort()).toEqual(['bridgeHealth', 'deflection', 'overloads', 'strain', 'vibration']);
  });
});

describe('buildWaterScene', () => {
  const model = SCENE_BUILDERS.water(makeFusedState());

  it('computes the water KPIs', () => {
    expect(kpiValue(model.kpis, 'maxWaterloggingDepth')).toBe(30);
    expect(kpiValue(model.kpis, 'pointsWaterlogged')).toBe(1);
    expect(kpiValue(model.kpis, 'rainfallMax')).toBe(35);
    expect(kpiValue(model.kpis, 'pumpsRunning')).toBe(1);
    expect(kpiValue(model.kpis, 'pumpsTotal')).toBe(2);
    expect(kpiValue(model.kpis, 'riversAboveWarning')).toBe(1);
  });

  it('marks river levels at the asset’s warning and guarantee levels', () => {
    const chart = model.charts.riverLevels as Extract<ChartData, { kind: 'timeseries' }>;
    expect(chart.lines.map((l) => l.name)).toEqual(['李村河']);
    expect(chart.marks.map((m) => [m.level, m.value])).toEqual([
      ['warning', 4.5],
      ['guarantee', 5.8],
    ]);
  });

  it('ranks waterlogging points by depth and splits pumps by running state', () => {
    const logging = model.charts.waterlogging as Extract<ChartData, { kind: 'bar' }>;
    expect(logging.categories).toEqual(['重庆路下穿', '海尔路下穿']);
    expect(logging.series[0].values).toEqual([30, 8]);
    const pumps = model.charts.pumps as Extract<ChartData, { kind: 'pie' }>;
    expect(pumps.slices.map((s) => [s.id, s.value])).toEqual([
      ['running', 1],
      ['stopped', 1],
      ['offline', 0],
    ]);
    expect(Object.keys(model.charts).sort()).toEqual(['pipePressure', 'pumps', 'rainfall', 'riverLevels', 'waterlogging']);
    expect(model.devices.find((d) => d.id === 'wt-log-1')?.s).toBe('orange');
  });
});

describe('buildWaterScene ranking', () => {
  it('ranks the ten deepest of many waterlogging points, deepest first, ties by device id', () => {
    const state = makeFusedState();
    const devices = new Map(state.devices);
    const deviceStates = new Map(state.deviceStates);
    const depths = [3, 41, 17, 17, 0, 26, 55, 9, 33, 12, 48, 17, 5, 60, 21];
    depths.forEach((depth, i) => {
      const id = `wt-log-x${String(i).padStart(2, '0')}`;
      devices.set(id, { id, kind: 'waterlogging', scene: 'water', name: id, location: [120.4, 36.1], district: '370202' });
      deviceStates.set(id, { deviceId: id, online: true, lastTs: state.nowTs, lastSeq: 1, metrics: { depth } });
    });
    const model = SCENE_BUILDERS.water(makeFusedState({ devices, deviceStates }));
    const chart = model.charts.waterlogging as Extract<ChartData, { kind: 'bar' }>;
    const all = [...depths, 30, 8].sort((a, b) => b - a).slice(0, 10);
    expect(chart.series[0].values).toEqual(all);
    // three points at 17 cm compete for the last two places: the lower device ids win
    expect(chart.categories.slice(-3)).toEqual(['wt-log-x14', 'wt-log-x02', 'wt-log-x03']);
    expect(kpiValue(model.kpis, 'pointsWaterlogged')).toBe(depths.filter((d) => d >= 15).length + 1);
    expect(kpiValue(model.kpis, 'maxWaterloggingDepth')).toBe(60);
  });
});

describe('buildEmergencyScene', () => {
  const model = SCENE_BUILDERS.emergency(makeFusedState());

  it('computes the emergency KPIs', () => {
    expect(kpiValue(model.kpis, 'openIncidents')).toBe(4);
    expect(kpiValue(model.kpis, 'openP1')).toBe(2);
    expect(kpiValue(model.kpis, 'handlersIdle')).toBe(1);
    expect(kpiValue(model.kpis, 'handlersBusy')).toBe(1);
    expect(kpiValue(model.kpis, 'shelterAvailable')).toBe(1500);
    expect(kpiValue(model.kpis, 'gasAlerts')).toBe(1);
  });

  it('sees every incident and every resource', () => {
    expect(model.incidents).toHaveLength(7);
    expect(model.resources.map((r) => r.id)).toEqual(['res-depot-1', 'res-shelter-1', 'res-team-1']);
    expect(model.devices.map((d) => [d.id, d.s])).toEqual([
      ['em-fire-1', 'offline'],
      ['em-gas-1', 'red'],
      ['em-gas-2', 'normal'],
    ]);
  });

  it('draws today’s funnel and response-time histogram', () => {
    const funnel = model.charts.incidentFunnel as Extract<ChartData, { kind: 'bar' }>;
    expect(funnel.series[0].values).toEqual([6, 5, 4, 3, 2, 1]);
    const response = model.charts.responseTimes as Extract<ChartData, { kind: 'bar' }>;
    expect(response.categoriesEn).toEqual(['0-5 min', '5-10 min', '10-15 min', '15-30 min', '30+ min']);
    expect(response.series[0].values).toEqual([1, 1, 1, 0, 1]);
    const handlers = model.charts.handlerStatus as Extract<ChartData, { kind: 'pie' }>;
    expect(handlers.slices.map((s) => s.value)).toEqual([1, 1, 1]);
    const resources = model.charts.resources as Extract<ChartData, { kind: 'bar' }>;
    // available / capacity per kind, in % (teams 20/30, depots 450/500, shelters 1500/2000)
    expect(resources.unit).toBe('%');
    expect(resources.series.map((s) => s.values)).toEqual([[66.7, 90, 75]]);
  });
});

describe('buildCommunityScene', () => {
  const model = SCENE_BUILDERS.community(makeFusedState());

  it('computes the community KPIs', () => {
    expect(kpiValue(model.kpis, 'openCommunityEvents')).toBe(3);
    expect(kpiValue(model.kpis, 'trappedPassengers')).toBe(1);
    expect(kpiValue(model.kpis, 'fireSmokeOpen')).toBe(1);
    expect(kpiValue(model.kpis, 'elderlyFallsToday')).toBe(1);
  });

  it('lists urgent alerts red first, then the longest waiting', () => {
    expect(model.alerts.map((a) => a.deviceId)).toEqual(['cm-elev-1', 'cm-smoke-1', 'cm-lane-1']);
  });

  it('ranks communities and mixes events by type over the last 24 h, handled ones included', () => {
    const ranking = model.charts.communityRanking as Extract<ChartData, { kind: 'bar' }>;
    expect(ranking.categories).toEqual(['浮山后社区', '浮山所社区']);
    // the handled smoke alarm (cm-a) and fall (cm-b) count beside the open ones
    expect(ranking.series[0].values).toEqual([2, 2]);
    const mix = model.charts.eventMix as Extract<ChartData, { kind: 'pie' }>;
    expect(Object.fromEntries(mix.slices.map((s) => [s.id, s.value]))).toEqual({
      fire: 1,
      elevator: 1,
      'fire-lane': 1,
      'elderly-care': 1,
      'ev-charger': 0,
      door: 0,
    });
    expect(model.assets.map((a) => [a.id, a.status])).toEqual([
      ['cm-a', 'red'],
      ['cm-b', 'yellow'],
    ]);
  });
});

describe('buildCommunityScene window', () => {
  it('leaves out events raised 24 h ago or earlier, and devices gone silent', () => {
    const base = makeFusedState();
    const fall = base.alerts.find((a) => a.deviceId === 'cm-fall-1')!;
    const lane = base.alerts.find((a) => a.deviceId === 'cm-lane-1')!;
    const alerts = [
      ...base.alerts.filter((a) => a !== fall && a !== lane),
      { ...fall, firstTs: base.nowTs - COMMUNITY_WINDOW_MS },
      { ...lane, id: 'cm-lane-1|community.fire-lane-camera.offline', ruleId: 'community.fire-lane-camera.offline', level: 'blue' as const },
    ];
    const model = SCENE_BUILDERS.community(makeFusedState({ alerts }));
    const mix = model.charts.eventMix as Extract<ChartData, { kind: 'pie' }>;
    expect(Object.fromEntries(mix.slices.map((s) => [s.id, s.value]))).toMatchObject({ fire: 1, elevator: 1, 'fire-lane': 0, 'elderly-care': 0 });
    const ranking = model.charts.communityRanking as Extract<ChartData, { kind: 'bar' }>;
    expect(ranking.categories).toEqual(['浮山后社区']);
  });
});

describe('scene builders and the diff together', () => {
  it('put only the device whose alert cleared when one alert clears', () => {
    const before = makeFusedState();
    const alerts = before.alerts.map((a) => (a.deviceId === 'br-sg-1' ? { ...a, cleared: true } : a));
    const after = makeFusedState({ alerts });
    const delta = diffScene(SCENE_BUILDERS.bridge(before), SCENE_BUILDERS.bridge(after) as SceneModel);
    expect(delta?.devices?.put?.map((d) => [d.id, d.s])).toEqual([['br-sg-1', 'normal']]);
    expect(delta?.devices?.remove).toBeUndefined();
  });
});

describe('bytes follow what changes on screen', () => {
  it('builds deep-equal aggregate charts for two builds a second apart when nothing changed', () => {
    const base = makeFusedState();
    // stay inside one data tick so only the clock moved
    const t0 = Math.floor(base.nowTs / AGGREGATE_DATA_TICK_MS) * AGGREGATE_DATA_TICK_MS + 1000;
    for (const scene of SCREEN_SCENE_IDS) {
      const a = SCENE_BUILDERS[scene]({ ...base, nowTs: t0 });
      const b = SCENE_BUILDERS[scene]({ ...base, nowTs: t0 + 1000 });
      expect(b.charts, scene).toEqual(a.charts);
    }
  });
});

describe('reuse between builds (statusEpoch)', () => {
  it('returns the same devices array while the status epoch is unchanged, and a fresh one when it moves', () => {
    const base = makeFusedState();
    const a = SCENE_BUILDERS.overview({ ...base, statusEpoch: 7 });
    const b = SCENE_BUILDERS.overview({ ...base, nowTs: base.nowTs + 1000, statusEpoch: 7 });
    expect(b.devices).toBe(a.devices);
    expect(b.assets).toBe(a.assets);
    const someone = a.devices.find((d) => d.s === 'normal')!;
    const states = new Map(base.deviceStates);
    states.set(someone.id, { ...states.get(someone.id)!, online: false });
    const c = SCENE_BUILDERS.overview({ ...base, deviceStates: states, statusEpoch: 8 });
    expect(c.devices).not.toBe(a.devices);
    expect(c.devices.find((d) => d.id === someone.id)!.s).toBe('offline');
  });

  it('rebuilds the asset items when the assets change, even within one status epoch', () => {
    const base = makeFusedState();
    const devices = new Map(base.devices);
    const a = SCENE_BUILDERS.overview({ ...base, devices, statusEpoch: 7 });
    const renamed = base.assets.map((x, i) => (i === 0 ? { ...x, name: `${x.name}（新）`, props: { ...x.props, designLoadT: 99 } } : x));
    const b = SCENE_BUILDERS.overview({ ...base, devices, assets: renamed, statusEpoch: 7 });
    expect(b.assets).not.toBe(a.assets);
    expect(b.assets).toEqual(SCENE_BUILDERS.overview({ ...base, assets: renamed }).assets);
    const added = [...base.assets, { ...base.assets[0]!, id: 'zz-new-asset' }];
    const c = SCENE_BUILDERS.overview({ ...base, devices, assets: added, statusEpoch: 7 });
    expect(c.assets.map((x) => x.id)).toContain('zz-new-asset');
  });

  it('never reuses results when no status epoch is given', () => {
    const base = makeFusedState();
    const states = new Map(base.deviceStates);
    const a = SCENE_BUILDERS.bridge(base);
    const someone = a.devices.find((d) => d.s === 'normal')!;
    states.set(someone.id, { ...states.get(someone.id)!, online: false });
    const b = SCENE_BUILDERS.bridge({ ...base, deviceStates: states });
    expect(b.devices.find((d) => d.id === someone.id)!.s).toBe('offline');
  });
});

describe('waterlogging ranking', () => {
  it('ranks each place once, by its deepest sensor', () => {
    const base = makeFusedState();
    const first = base.devices.get('wt-log-1')!;
    const devices = new Map(base.devices);
    devices.set('wt-log-1b', { ...first, id: 'wt-log-1b', name: `${first.name} #2` });
    const states = new Map(base.deviceStates);
    states.set('wt-log-1b', { ...states.get('wt-log-1')!, deviceId: 'wt-log-1b', metrics: { depth: 42 } });
    const chart = SCENE_BUILDERS.water({ ...base, devices, deviceStates: states }).charts.waterlogging as Extract<ChartData, { kind: 'bar' }>;
    expect(chart.series[0]!.values).toEqual([42, 8]);
    expect(new Set(chart.categories).size).toBe(chart.categories.length);
  });
});

describe('incremental device points', () => {
  it('patches only the devices whose status changed, keeping the other point objects', () => {
    const base = makeFusedState();
    const a = SCENE_BUILDERS.overview({ ...base, statusEpoch: 100, statusChangedSince: () => null });
    const target = a.devices.find((d) => d.s === 'normal')!;
    const states = new Map(base.deviceStates);
    states.set(target.id, { ...states.get(target.id)!, online: false });
    const b = SCENE_BUILDERS.overview({
      ...base,
      deviceStates: states,
      statusEpoch: 101,
      statusChangedSince: (epoch) => (epoch === 100 ? new Set([target.id]) : null),
    });
    expect(b.devices).not.toBe(a.devices);
    expect(b.devices.find((d) => d.id === target.id)!.s).toBe('offline');
    const untouched = a.devices.filter((d) => d.id !== target.id);
    for (const d of untouched) expect(b.devices.find((x) => x.id === d.id)).toBe(d);
    // the same result as a full rebuild
    expect(b.devices).toEqual(SCENE_BUILDERS.overview({ ...base, deviceStates: states }).devices);
  });
});

describe('incremental asset items and online count', () => {
  it('recomputes only the assets of changed devices and matches a full rebuild', () => {
    const base = makeFusedState();
    // a fresh registry copy so memos from other tests do not apply
    const devices = new Map(base.devices);
    const first = { ...base, devices, statusEpoch: 1, statusChangedSince: () => null };
    const a = SCENE_BUILDERS.bridge(first);
    const a0 = SCENE_BUILDERS.overview(first);
    const onAsset = [...devices.values()].find((d) => d.assetId !== undefined && base.deviceStates.get(d.id)?.online === true)!;
    const states = new Map(base.deviceStates);
    states.set(onAsset.id, { ...states.get(onAsset.id)!, online: false });
    const next = {
      ...base,
      devices,
      deviceStates: states,
      statusEpoch: 2,
      statusChangedSince: (e: number) => (e === 1 ? new Set([onAsset.id]) : null),
    };
    const b = SCENE_BUILDERS.bridge(next);
    const b0 = SCENE_BUILDERS.overview(next);
    const full = SCENE_BUILDERS.bridge({ ...base, deviceStates: states });
    const full0 = SCENE_BUILDERS.overview({ ...base, deviceStates: states });
    expect(b.assets).toEqual(full.assets);
    expect(b0.assets).toEqual(full0.assets);
    expect(b0.kpis).toEqual(full0.kpis);
    expect(b0.kpis).not.toEqual(a0.kpis); // one device fewer online
    for (const item of a0.assets) if (item.id !== onAsset.assetId) expect(b0.assets.find((x) => x.id === item.id)).toBe(item);
    expect(b0.assets.find((x) => x.id === onAsset.assetId)!.status).toBe('offline');
    if (a.assets.some((x) => x.id === onAsset.assetId)) expect(b.assets).not.toBe(a.assets);
  });
});
