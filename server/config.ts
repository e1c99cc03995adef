/**
 * Server configuration from the environment, validated once at start.
 * Every limit and rate lives here with its unit in the name (house style, rule 8).
 */
import { z } from 'zod';
import { DEV_DEVICE_SECRET } from './device-token';

const intFromEnv = (def: number) => z.coerce.number().int().gte(0).default(def);

const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: intFromEnv(8080),
  HOST: z.string().default('0.0.0.0'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** 'auto' (Redis when it answers, else memory), 'memory' or 'redis' (fail when Redis is down) */
  IOC_STORE: z.enum(['auto', 'memory', 'redis']).default('auto'),
  IOC_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/)
    .default('ioc'),
  IOC_JWT_SECRET: z.string().min(32).optional(),
  IOC_DEVICE_SECRET: z.string().min(16).optional(),
  IOC_DEMO_PASSWORD: z.string().min(8).default('ioc-demo-2026'),
  IOC_DEMO_DEVICES: intFromEnv(2000),
  IOC_DEMO_SEED: intFromEnv(20261121),
  IOC_TOKEN_TTL_S: intFromEnv(12 * 3600),
  IOC_COALESCE_MS: intFromEnv(250),
  IOC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  IOC_CLIENT_DIST: z.string().optional(),
});

export interface ServerConfig {
  production: boolean;
  port: number;
  host: string;
  redisUrl: string;
  storeMode: 'auto' | 'memory' | 'redis';
  redisPrefix: string;
  jwtSecret: string;
  /** true when the JWT secret is the development default */
  jwtSecretIsDefault: boolean;
  deviceSecret: string;
  demoPassword: string;
  /** seed demo accounts (never in production) */
  seedDemoUsers: boolean;
  demoDevices: number;
  demoSeed: number;
  tokenTtlS: number;
  /** a screen never receives more than 1000/coalesceIntervalMs telemetry frames per second */
  coalesceIntervalMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** directory of the built client; served when present */
  clientDist: string | null;
  /** HTTP JSON body limit */
  maxBodyBytes: number;
  /** readings per ingest batch */
  maxBatchReadings: number;
  /** a reading timestamped further than this in the future is rejected */
  maxClockSkewMs: number;
  /** deltas kept per scene for resuming clients, at most this many… */
  deltaHistoryPerScene: number;
  /** …and none older than this, ms */
  deltaHistoryMaxAgeMs: number;
  /** points per rolling chart window */
  seriesBuckets: number;
  /** width of one chart bucket, ms */
  seriesBucketMs: number;
  /** failed logins before the account locks */
  loginMaxFailures: number;
  loginLockMs: number;
  /** idempotency records of commands are kept this long */
  commandTtlMs: number;
  /** how often offline rules are evaluated */
  offlineCheckIntervalMs: number;
  /** incident photos: max bytes per photo */
  maxPhotoBytes: number;
  /** readings kept in memory while the store is unavailable */
  maxDeferredReadings: number;
}

export const DEV_JWT_SECRET = 'city-ioc-development-jwt-secret-not-for-production';

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.IOC_JWT_SECRET) {
    throw new ConfigError('NODE_ENV=production requires IOC_JWT_SECRET (at least 32 characters); refusing to start');
  }
  if (production && !e.IOC_DEVICE_SECRET) {
    throw new ConfigError('NODE_ENV=production requires IOC_DEVICE_SECRET (at least 16 characters); refusing to start');
  }
  return {
    production,
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    storeMode: e.IOC_STORE,
    redisPrefix: e.IOC_REDIS_PREFIX,
    jwtSecret: e.IOC_JWT_SECRET ?? DEV_JWT_SECRET,
    jwtSecretIsDefault: !e.IOC_JWT_SECRET,
    deviceSecret: e.IOC_DEVICE_SECRET ?? DEV_DEVICE_SECRET,
    demoPassword: e.IOC_DEMO_PASSWORD,
    seedDemoUsers: !production,
    demoDevices: e.IOC_DEMO_DEVICES,
    demoSeed: e.IOC_DEMO_SEED,
    tokenTtlS: e.IOC_TOKEN_TTL_S,
    coalesceIntervalMs: Math.max(50, e.IOC_COALESCE_MS),
    logLevel: e.IOC_LOG_LEVEL,
    clientDist: e.IOC_CLIENT_DIST ?? null,
    maxBodyBytes: 4 * 1024 * 1024,
    maxBatchReadings: 5000,
    maxClockSkewMs: 5 * 60_000,
    deltaHistoryPerScene: 200,
    deltaHistoryMaxAgeMs: 60_000,
    seriesBuckets: 60,
    seriesBucketMs: 10_000,
    loginMaxFailures: 5,
    loginLockMs: 15 * 60_000,
    commandTtlMs: 7 * 24 * 3600_000,
    offlineCheckIntervalMs: 5_000,
    maxPhotoBytes: 2 * 1024 * 1024,
    maxDeferredReadings: 500_000,
    ...overrides,
  };
}
