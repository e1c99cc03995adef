import { describe, expect, it } from 'vitest';
import type { AlertItem } from '@scenes/scene-model';
import { arrangePanels } from './scene-panels';
import { urgentItems, latestAlerts } from './urgent-items';
import { detectNewRedAlerts, isPersonActive, nextPlaylistScene, parseRotatePeriodMs } from './attention';
import { connectionIndicator } from './connection-indicator';

const alert = (id: string, level: AlertItem['level'], firstTs: number, cleared = false): AlertItem => ({
  id,
  deviceId: 'd',
  deviceKind: 'smoke-detector',
  scene: 'community',
  district: '370203',
  p: [120.35, 36.09],
  level,
  cleared,
  acknowledged: false,
  firstTs,
  lastTs: firstTs,
  count: 1,
  title: '烟感报警',
  titleEn: 'Smoke',
});

describe('arrangePanels', () => {
  it('places the known charts of a scene in its layout order and skips missing ones', () => {
    const l = arrangePanels('water', ['pumps', 'riverLevels', 'pipePressure', 'rainfall']);
    expect(l.left).toEqual([
      { type: 'chart', key: 'riverLevels' },
      { type: 'chart', key: 'rainfall' },
    ]);
    expect(l.right).toEqual([
      { type: 'chart', key: 'pipePressure' },
      { type: 'chart', key: 'pumps' },
    ]);
  });

  it('renders unknown chart keys too, in the shorter column', () => {
    const l = arrangePanels('overview', ['alertTrend', 'alertsByLevel', 'incidentsByDistrict', 'extra']);
    expect(l.right.map((s) => (s.type === 'chart' ? s.key : s.type))).toEqual(['incidentsByDistrict', 'extra']);
  });

  it('gives the community scene its urgent list', () => {
    expect(arrangePanels('community', ['eventMix']).right).toEqual([{ type: 'urgent' }]);
  });
});

describe('urgent items and ticker', () => {
  it('lists open alerts most severe first, then longest waiting, with time since raised', () => {
    const items = urgentItems([alert('b', 'blue', 10), alert('r2', 'red', 50), alert('r1', 'red', 20), alert('c', 'red', 1, true)], 100, 10);
    expect(items.map((i) => i.alert.id)).toEqual(['r1', 'r2', 'b']);
    expect(items[0].waitingMs).toBe(80);
  });

  it('keeps a cleared but unacknowledged alert in the ticker and drops it once acknowledged', () => {
    const transient = { ...alert('t', 'red', 5, true), lastTs: 5, acknowledged: false };
    expect(latestAlerts([transient], 5).map((a) => a.id)).toEqual(['t']);
    expect(latestAlerts([{ ...transient, acknowledged: true }], 5)).toEqual([]);
  });

  it('shows the newest alerts first in the ticker, bounded', () => {
    expect(latestAlerts([alert('a', 'blue', 1), alert('b', 'blue', 3), alert('c', 'red', 2)], 2).map((a) => a.id)).toEqual(['b', 'c']);
  });
});

describe('unattended screen', () => {
  it('parses ?rotate= seconds and refuses nonsense', () => {
    expect(parseRotatePeriodMs('60')).toBe(60_000);
    expect(parseRotatePeriodMs('2')).toBe(10_000);
    expect(parseRotatePeriodMs('abc')).toBeNull();
    expect(parseRotatePeriodMs(undefined)).toBeNull();
  });

  it('cycles the five scenes', () => {
    expect(nextPlaylistScene('overview')).toBe('emergency');
    expect(nextPlaylistScene('community')).toBe('overview');
  });

  it('pauses for two minutes after an interaction', () => {
    expect(isPersonActive(100_000, 0, 120_000)).toBe(false);
    expect(isPersonActive(200_000, 100_000, 120_000)).toBe(true);
    expect(isPersonActive(220_001, 100_000, 120_000)).toBe(false);
  });

  it('treats red alerts already open at start as old, and only new red ones as fresh', () => {
    const first = detectNewRedAlerts(null, [alert('r1', 'red', 1)]);
    expect(first.fresh).toEqual([]);
    const second = detectNewRedAlerts(first.redIds, [alert('r1', 'red', 1), alert('r2', 'red', 5), alert('y', 'yellow', 6)]);
    expect(second.fresh.map((a) => a.id)).toEqual(['r2']);
    expect([...second.redIds].sort()).toEqual(['r1', 'r2']);
  });
});

describe('connectionIndicator', () => {
  const config = { reconnectingGraceMs: 10_000, disconnectBannerDelayMs: 2_000 };
  it('is green when connected', () => {
    expect(connectionIndicator({ state: 'connected', disconnectedSinceTs: null }, 0, config)).toMatchObject({ tone: 'ok', banner: false });
  });
  it('is amber just after a loss, with the banner after two seconds', () => {
    expect(connectionIndicator({ state: 'disconnected', disconnectedSinceTs: 0 }, 1_000, config)).toMatchObject({ tone: 'warn', banner: false });
    expect(connectionIndicator({ state: 'disconnected', disconnectedSinceTs: 0 }, 3_000, config)).toMatchObject({ tone: 'warn', banner: true });
  });
  it('turns red with how long ago once the loss lasts', () => {
    expect(connectionIndicator({ state: 'disconnected', disconnectedSinceTs: 0 }, 30_000, config)).toMatchObject({
      tone: 'down',
      label: 'conn.disconnected',
      downForMs: 30_000,
    });
  });
});
