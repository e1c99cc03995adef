import { describe, expect, it } from 'vitest';
import { DEFAULT_DEDUP_CONFIG } from '../scenes/storm/incident-dedup';
import { dedupConfigFromEnv } from './incident-dedup-config';
import { ConfigError, loadConfig } from './config';

describe('查重 settings from the environment', () => {
  it('defaults to DEFAULT_DEDUP_CONFIG', () => {
    expect(dedupConfigFromEnv(undefined, undefined)).toEqual(DEFAULT_DEDUP_CONFIG);
    expect(loadConfig({ NODE_ENV: 'test' }).dedup).toEqual(DEFAULT_DEDUP_CONFIG);
  });

  it('replaces listed radii, adds new categories, turns a category off with 0, and sets the window', () => {
    const c = loadConfig({ NODE_ENV: 'test', IOC_DEDUP_RADII_M: 'waterlogging=1500, manhole=0,landslide=800', IOC_DEDUP_WINDOW_MIN: '90' }).dedup;
    expect(c.radiusMByCategory.waterlogging).toBe(1500);
    expect(c.radiusMByCategory.landslide).toBe(800);
    expect('manhole' in c.radiusMByCategory).toBe(false);
    expect(c.radiusMByCategory.fire).toBe(DEFAULT_DEDUP_CONFIG.radiusMByCategory.fire);
    expect(c.windowMs).toBe(90 * 60_000);
  });

  it('refuses malformed pairs and a zero window at start', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', IOC_DEDUP_RADII_M: 'waterlogging:1500' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', IOC_DEDUP_WINDOW_MIN: '0' })).toThrow(ConfigError);
  });
});
