/**
 * Configuration of readings roll-ups (issue 16), read from the environment once at start
 * (config.ts `rollups`); every limit has its unit in its name.
 */
import { z } from 'zod';
import type { RollupStoreOptions } from '../store/rollup-store';

const DAY_MS = 24 * 3_600_000;

export interface RollupConfig {
  /** retention of minutes and hours, and how long a flush id is remembered (Redis) */
  store: RollupStoreOptions;
  /**
   * the same on the in-memory store (`npm start` without Redis): the process heap holds every
   * bucket (≈ 54 KB per device-metric-day of minutes), so unless the environment says otherwise
   * it keeps 1 day of minutes and 31 days of hours (the card's 24 h / 7 d / 30 d windows)
   */
  memoryStore: RollupStoreOptions;
  /** this node flushes what it accumulated this often, ms (a crash loses at most this much) */
  flushIntervalMs: number;
  /** flushes kept for retry while the store is down; beyond it the oldest is dropped (and counted) */
  maxPendingFlushes: number;
}

const EnvSchema = z.object({
  /** 1-minute roll-ups are kept this many days */
  IOC_ROLLUP_MINUTE_DAYS: z.coerce.number().int().min(1).max(31).optional(),
  /** 1-hour roll-ups are kept this many days */
  IOC_ROLLUP_HOUR_DAYS: z.coerce.number().int().min(1).max(3_660).optional(),
  /** how often each node flushes its roll-ups, ms */
  IOC_ROLLUP_FLUSH_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
});

/** The settings from `env`; a bad value throws `toError(message)` (config.ts: a ConfigError). */
export function rollupConfigFromEnv(env: NodeJS.ProcessEnv, toError: (message: string) => Error = (m) => new Error(m)): RollupConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw toError(`invalid roll-up settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  // a retry comes within seconds; an hour covers a long Redis outage
  const flushIdTtlMs = 3_600_000;
  return {
    store: {
      minuteRetentionMs: (e.IOC_ROLLUP_MINUTE_DAYS ?? 7) * DAY_MS,
      hourRetentionMs: (e.IOC_ROLLUP_HOUR_DAYS ?? 184) * DAY_MS,
      flushIdTtlMs,
    },
    memoryStore: {
      minuteRetentionMs: (e.IOC_ROLLUP_MINUTE_DAYS ?? 1) * DAY_MS,
      hourRetentionMs: (e.IOC_ROLLUP_HOUR_DAYS ?? 31) * DAY_MS,
      flushIdTtlMs,
    },
    flushIntervalMs: e.IOC_ROLLUP_FLUSH_MS,
    // with the default interval: 10 minutes of store outage
    maxPendingFlushes: 120,
  };
}
