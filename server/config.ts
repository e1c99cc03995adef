/**
 * Server configuration from the environment, validated once at start.
 * Every limit and rate lives here with its unit in the name (house style, rule 8).
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { RoleSchema, type Role } from '../scenes/domain';
import { DEFAULT_DEVICE_COMMAND_TIMEOUT_MS } from '../scenes/device-commands';
import { passwordPolicyRefusal } from './auth/passwords';
import { DEV_DEVICE_SECRET } from './device-token';
import { DEFAULT_METRICS_ALLOW, parseAddressList } from './security/metrics-access';
import { DEV_CLIENT_ORIGINS, parseOriginList } from './security/origin-policy';
import type { DedupConfig } from '../scenes/storm/incident-dedup';
import { dedupConfigFromEnv } from './incident-dedup-config';
import { notifyConfigFromEnv, type NotifyConfig } from './notify/notify-config';
import { rollupConfigFromEnv, type RollupConfig } from './rollups/rollup-config';
import { basemapsFromEnv } from './basemap-config';
import type { BasemapSource } from '../scenes/geo/basemap-source';
import type { CapSender } from '../scenes/exports/cap';
import { capSenderFromEnv } from './exports/cap-sender-config';

const intFromEnv = (def: number) => z.coerce.number().int().gte(0).default(def);

const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: intFromEnv(8080),
  HOST: z.string().default('0.0.0.0'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** 'auto' (Redis when it answers, else memory), 'memory' or 'redis' (fail when Redis is down) */
  IOC_STORE: z.enum(['auto', 'memory', 'redis']).default('auto'),
  IOC_CLUSTER: z.enum(['on', 'off']).default('on'),
  IOC_CLUSTER_ADAPTER: z.enum(['streams', 'pubsub']).default('streams'),
  IOC_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/)
    .default('ioc'),
  IOC_JWT_SECRET: z.string().min(32).optional(),
  IOC_DEVICE_SECRET: z.string().min(16).optional(),
  /** key of the audit chain's HMAC (issue 12); required in production */
  IOC_AUDIT_KEY: z.string().min(32).optional(),
  /** file the audit chain's head is anchored to (JSON lines, 0600); default <cwd>/var/audit-anchors.jsonl, none in tests */
  IOC_AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
  /** audit records are kept at least this many days (the law: six months; refused below 184 in production) */
  IOC_AUDIT_RETENTION_DAYS: intFromEnv(184),
  IOC_DEMO_PASSWORD: z.string().min(8).default('ioc-demo-2026'),
  IOC_DEMO_DEVICES: intFromEnv(2000),
  IOC_DEMO_SEED: intFromEnv(20261121),
  /** days of demo past backfilled on a freshly seeded demo store (issue 16); 0 disables; default 7, 0 under NODE_ENV=test */
  IOC_DEMO_PAST_DAYS: z.coerce.number().int().min(0).max(31).optional(),
  /** lifetime of an access token, s (short: the client renews it with its refresh token) */
  IOC_ACCESS_TTL_S: intFromEnv(900),
  /** a console session unused this long ends, minutes */
  IOC_IDLE_TIMEOUT_MIN: intFromEnv(30),
  /** absolute lifetime of a console session, hours */
  IOC_SESSION_MAX_H: intFromEnv(12),
  /** lifetime of a kiosk screen token, days */
  IOC_SCREEN_TOKEN_DAYS: intFromEnv(365),
  IOC_COALESCE_MS: intFromEnv(250),
  /** under a heavy fan-out telemetry frames slow down to at most one per N ms (= IOC_COALESCE_MS: never) */
  IOC_COALESCE_MAX_MS: intFromEnv(1000),
  /** …so that sending them takes about this % of the event loop */
  IOC_FANOUT_LOOP_PCT: intFromEnv(25),
  IOC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  IOC_CLIENT_DIST: z.string().optional(),
  /** closed incidents and finished alerts are kept this many days (≥ 184: six months of audit trail) */
  IOC_RETENTION_DAYS: intFromEnv(184),
  /** the long history (issue 16, server/history/): finished incidents and alerts are searchable this many days */
  IOC_HISTORY_RETENTION_DAYS: intFromEnv(184),
  /** incident photos are kept this many days */
  IOC_PHOTO_RETENTION_DAYS: intFromEnv(184),
  /** total bytes of stored photos, MiB; an upload beyond it is refused with E_QUOTA */
  IOC_PHOTO_QUOTA_MB: intFromEnv(2048),
  /** directory of the ingest spool (deferred readings, fsync'ed); default <cwd>/var/spool, none in tests */
  IOC_SPOOL_DIR: z.string().min(1).optional(),
  /** first administrator's username, created at start only while no administrator exists (issue 11) */
  IOC_BOOTSTRAP_ADMIN: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]{2,31}$/, 'IOC_BOOTSTRAP_ADMIN: 3–32 lower-case letters, digits, . _ -')
    .optional(),
  /** …and its one-time password (must pass the password policy; changed at first login) */
  IOC_BOOTSTRAP_PASSWORD: z.string().min(1).max(256).optional(),
  /** roles that must sign in with a second factor (TOTP), comma-separated; unset: `admin` in production, none otherwise */
  IOC_MFA_REQUIRED_ROLES: z.string().optional(),
  /** a password expires this many days after it was set (0 = never) */
  IOC_PASSWORD_MAX_AGE_DAYS: intFromEnv(90),
  // --- transport and surface (issue 12; server/security/) ---
  /** browser origins besides the server's own that may call the API and open sockets, comma-separated */
  IOC_ALLOWED_ORIGINS: z.string().optional(),
  /** bearer token that reads /metrics and the detailed /healthz from anywhere */
  IOC_METRICS_TOKEN: z.string().min(16).optional(),
  /** source addresses / CIDR blocks that read /metrics without a token, comma-separated (default loopback) */
  IOC_METRICS_ALLOW: z.string().optional(),
  // --- devices over MQTT (issue 13; server/mqtt/) ---
  /** port of the embedded MQTT broker (default 1884; 0 = off; off by default when NODE_ENV=test) */
  IOC_MQTT_PORT: z.coerce.number().int().gte(0).lte(65535).optional(),
  /** mqtt://host:port or mqtts://host:port: the server is an MQTT 5 client of this broker instead (embedded broker off) */
  IOC_MQTT_URL: z
    .string()
    .regex(/^mqtts?:\/\/[^\s]+$/, 'IOC_MQTT_URL: mqtt://host:port or mqtts://host:port')
    .optional(),
  /** the server's own account on the external broker */
  IOC_MQTT_USERNAME: z.string().min(1).max(256).optional(),
  IOC_MQTT_PASSWORD: z.string().min(1).max(1024).optional(),
  /** shared-subscription group of the server nodes on the external broker */
  IOC_MQTT_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'IOC_MQTT_SHARE_GROUP: 1–64 letters, digits, _ . -')
    .default('ioc'),
  /** client id on the external broker; default ioc-<hostname>-<http port> (stable: a restart resumes the session) */
  IOC_MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'IOC_MQTT_CLIENT_ID: 1–128 letters, digits, _ . : -')
    .optional(),
  /** the external broker keeps the server's session (and queues its messages) this long while it is away, s */
  IOC_MQTT_SESSION_EXPIRY_S: intFromEnv(3600),
  /** embedded broker: new connections per second per remote address (token bucket refill) */
  IOC_MQTT_CONNECT_RATE_PER_S: intFromEnv(1000),
  /** embedded broker: connections one address may open at once before the rate applies (bucket size) */
  IOC_MQTT_CONNECT_BURST: intFromEnv(5000),
  /** MQTT telemetry arriving within this many ms is ingested in one call (one store append, one log read-back), ms; 0: per event-loop turn */
  IOC_MQTT_BATCH_WINDOW_MS: z.coerce.number().int().gte(0).lte(1000).default(5),
  /** a device that has not acknowledged a command within this is answered `timed_out` (remote control, issue 13), ms */
  IOC_DEVICE_COMMAND_TIMEOUT_MS: intFromEnv(DEFAULT_DEVICE_COMMAND_TIMEOUT_MS),
  /** after a start, a device not yet heard from gets this long (plus its offline rule's silence) before it is offline, ms */
  IOC_OFFLINE_STARTUP_GRACE_MS: intFromEnv(60_000),
  // --- 查重 (issue 14; server/incident-dedup-config.ts) ---
  /** radius per incident category, `category=metres` comma-separated, over the defaults (`=0`: never de-duplicated) */
  IOC_DEDUP_RADII_M: z.string().max(2000).optional(),
  /** an open incident takes a new nearby alert of its category when created at most this long before it, minutes */
  IOC_DEDUP_WINDOW_MIN: intFromEnv(6 * 60),
});

export interface ServerConfig {
  production: boolean;
  port: number;
  host: string;
  redisUrl: string;
  storeMode: 'auto' | 'memory' | 'redis';
  /**
   * Issue 15: with a Redis store the node takes part in a cluster (shared-log follower, leases of
   * the acting timers, revision lane, Socket.IO Redis Streams adapter); IOC_CLUSTER=off runs one
   * node alone on Redis as before. The in-memory store is always one node.
   */
  cluster: boolean;
  /** the Socket.IO adapter across nodes: Redis Streams (default; recovery across nodes) or plain Pub/Sub (measured in the bench) */
  clusterAdapter: 'streams' | 'pubsub';
  redisPrefix: string;
  jwtSecret: string;
  /** true when the JWT secret is the development default */
  jwtSecretIsDefault: boolean;
  deviceSecret: string;
  /** HMAC key of the tamper-evident audit chain (server/audit/) */
  auditKey: string;
  /** true when the audit key is the development default */
  auditKeyIsDefault: boolean;
  /** file the audit chain's head is anchored to; null: no anchoring (tests, unless a test passes one) */
  auditAnchorFile: string | null;
  /** how often the audit chain's head is anchored, ms */
  auditAnchorIntervalMs: number;
  /** audit records are kept at least this many days (`npm run audit:trim` removes older ones; the server never deletes) */
  auditRetentionDays: number;
  demoPassword: string;
  /** seed demo accounts (never in production) */
  seedDemoUsers: boolean;
  demoDevices: number;
  demoSeed: number;
  /** days of plausible past written on a store just seeded with the demo fleet (server/demo-past/); 0: none */
  demoPastDays: number;
  /** lifetime of an access token, s (IOC_ACCESS_TTL_S) */
  tokenTtlS: number;
  // --- sessions (issue 12; server/auth/sessions.ts) ---
  /** a console session unused this long ends (its refresh is refused), ms */
  sessionIdleTimeoutMs: number;
  /** absolute lifetime of a console session, ms */
  sessionMaxMs: number;
  /** lifetime of a kiosk screen token, ms */
  screenTokenMs: number;
  /** a session's "last seen" is written at most this often, ms */
  sessionTouchIntervalMs: number;
  /** rotated refresh tokens remembered per session (presenting one again revokes the session) */
  sessionUsedRefreshTokensKept: number;
  /** how often every open /live socket's session is re-checked (revocations made on another node), ms */
  sessionSweepIntervalMs: number;
  /** a screen never receives more than 1000/coalesceIntervalMs telemetry frames per second */
  coalesceIntervalMs: number;
  /**
   * frame pacing (server/frame-pacing.ts): under a fan-out that takes more than `targetShare` of
   * the event loop, telemetry frames come at most every `maxIntervalMs` instead
   */
  framePacing: { maxIntervalMs: number; targetShare: number; windowMs: number };
  /** area warnings (issue 14, server/storm/) are recomputed at most this often after alert changes, ms */
  warningsCoalesceMs: number;
  /** each node re-reads the stored area warning rules this often (an edit made on another node), ms */
  areaWarningRulesReloadMs: number;
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
  /** a commutative command (note, link alert) is re-applied this many times after a version conflict */
  commutativeRetries: number;
  /** 查重 (issue 14): radius per incident category and time window for linking a new alert to an open incident */
  dedup: DedupConfig;
  /** every store call answers within this deadline (a typed E_UNAVAILABLE after it), ms */
  storeCommandTimeoutMs: number;
  /** how often expired closed incidents, alerts and photos are removed from the store, ms */
  housekeepIntervalMs: number;
  /** closed incidents and finished alerts are kept this long, ms */
  closedRetentionMs: number;
  /** the long history (issue 16): finished incidents and alerts are kept this long after they finished, ms */
  historyRetentionMs: number;
  /** photos are kept this long, ms */
  photoRetentionMs: number;
  /** total bytes of stored photos */
  maxPhotoBytesTotal: number;
  /** how often offline rules are evaluated */
  offlineCheckIntervalMs: number;
  /** after a start, a device not yet heard from is offline only after this plus its rule's silence, ms */
  offlineStartupGraceMs: number;
  /** incident photos: max bytes per photo */
  maxPhotoBytes: number;
  /** readings kept in memory while the store is unavailable */
  maxDeferredReadings: number;
  // --- entry-point limits (server/guard.ts, issue 10 #1 #8) ---
  /** deepest nesting of an inbound JSON payload (objects and arrays), levels */
  inboundMaxDepth: number;
  /** largest Socket.IO message on `/live` (and any namespace but `/device`), bytes; `/device` gets maxBodyBytes */
  liveMaxMessageBytes: number;
  /** every `/live` event, per connection: events per second and burst */
  liveEventRatePerS: number;
  liveEventBurst: number;
  /** refused events in a row after which a `/live` or `/device` connection is dropped (it ignores E_RATE_LIMIT) */
  liveMaxRefusedEvents: number;
  /** `scene:join` (a full snapshot) per connection: per second and burst */
  liveJoinRatePerS: number;
  liveJoinBurst: number;
  /** `device:detail`, `incidents:list`, `incident:readings` per connection: per second and burst */
  liveQueryRatePerS: number;
  liveQueryBurst: number;
  /** `replay:range` pages per connection: per second and burst (and one replay in flight per user) */
  liveReplayRatePerS: number;
  liveReplayBurst: number;
  /** log events read per replay page (`replay:range`, `GET /api/events`) */
  replayPageMaxEvents: number;
  /** JSON bytes of one replay page */
  replayPageMaxBytes: number;
  /** commands per user (REST and socket share the budget): per second and burst */
  commandRatePerS: number;
  commandBurst: number;
  /** `/device` events per connection: per second and burst */
  deviceEventRatePerS: number;
  deviceEventBurst: number;
  /** transport connections per source address that have not authenticated yet */
  unauthConnectionsPerSource: number;
  /** failed authentications per source and entry (`/live`, `/device` handshakes, unauthenticated ingest batches) before E_RATE_LIMIT… */
  authFailureBurst: number;
  /** …and how fast that allowance comes back, per second */
  authFailureRefillPerS: number;
  /** a `/live` client whose unsent output exceeds this is dropped (it stopped reading), bytes */
  liveMaxBufferedBytes: number;
  /** …or whose engine.io queue holds more packets than this */
  liveMaxQueuedPackets: number;
  /** how often `/live` output buffers are checked, ms */
  liveBufferCheckIntervalMs: number;
  /** a live client is dropped after this many consecutive checks over the output bound */
  liveStalledChecks: number;
  /** keys (users, source addresses) each rate limiter remembers at most */
  rateLimitMaxKeys: number;
  /**
   * directory of the ingest spool: readings answered `deferred` are fsync'ed there before the
   * answer (one file per server port). null: no spool (memory store, tests) — deferred readings
   * then live in memory only.
   */
  spoolDir: string | null;
  /** a device may report this many times faster than its catalogue interval before E_RATE_LIMIT */
  ingestBurstFactor: number;
  /** …but never less than this, readings/s per device (drills report every 2 s) */
  ingestDeviceMinReadingsPerS: number;
  /** a device's bucket holds this many seconds of its allowed rate (a gateway's backlog after an outage) */
  ingestBurstSeconds: number;
  /** readings per second per source (remote address / socket) before E_RATE_LIMIT */
  ingestSourceReadingsPerS: number;
  /** when this many leading readings of a batch all fail authentication, the rest is refused unparsed */
  ingestAuthProbeReadings: number;
  // --- people (issue 11) ---
  /**
   * the first administrator (IOC_BOOTSTRAP_ADMIN / IOC_BOOTSTRAP_PASSWORD), created at start only
   * while no usable administrator exists; it must change its password at first login. null: none.
   */
  bootstrapAdmin: { username: string; password: string } | null;
  /** refuse logins of demo accounts (`demo: true`) that a development run left in the store: true in production */
  refuseDemoAccounts: boolean;
  // --- login hardening (issue 12; server/auth/login-throttle.ts, server/auth/totp.ts) ---
  /** failed logins per source address over all usernames (password spraying) within loginSourceWindowMs… */
  loginSourceMaxFailures: number;
  loginSourceWindowMs: number;
  /** …after which the address is answered E_RATE_LIMIT for this long, ms */
  loginSourceBlockMs: number;
  /** consecutive failed logins per (username, source address) before E_RATE_LIMIT (a success resets them)… */
  loginPairMaxFailures: number;
  /** …counted within this window, ms… */
  loginPairWindowMs: number;
  /** …and refused for this long, ms (no account-wide lock: a stranger cannot lock a user out) */
  loginPairBlockMs: number;
  /** from this many failures of a (username, source) pair on, each attempt waits before it is evaluated… */
  loginDelayAfterFailures: number;
  /** …loginDelayBaseMs, doubling per further failure, at most loginDelayMaxMs */
  loginDelayBaseMs: number;
  loginDelayMaxMs: number;
  /** the TOTP step of a login: its token lives this long, ms, and takes at most this many codes */
  mfaChallengeTtlMs: number;
  mfaChallengeMaxAttempts: number;
  /** roles that must sign in with TOTP; a member without it gets a session that may only enrol */
  mfaRequiredRoles: Role[];
  /** a password expires this long after it was set, ms (0 = never); demo accounts are exempt */
  passwordMaxAgeMs: number;
  /** a new password may not equal any of the account's last this many passwords */
  passwordHistoryCount: number;
  // --- transport and surface (issue 12, server/security/) ---
  /** browser origins besides the server's own (same-origin always passes); default: the vite dev server outside production */
  allowedOrigins: string[];
  /** bearer token for /metrics and the detailed /healthz; null: none */
  metricsToken: string | null;
  /** source addresses and CIDR blocks that read /metrics without the token */
  metricsAllow: string[];
  // --- devices over MQTT (issue 13; server/mqtt/README.md) ---
  /** port of the embedded MQTT broker; null: no broker; 0: any free port (tests) */
  mqttPort: number | null;
  /** IOC_MQTT_PORT was set: a busy port refuses to start (a busy default port only disables MQTT, loudly) */
  mqttPortExplicit: boolean;
  /** largest MQTT payload handled; larger ones are dropped and counted as `too_large`, bytes */
  mqttMaxPayloadBytes: number;
  /** largest MQTT packet read at all; a client announcing a larger one is disconnected, bytes */
  mqttMaxPacketBytes: number;
  /** an MQTT connection that sends no CONNECT within this is closed, ms */
  mqttConnectTimeoutMs: number;
  /** refused or dropped MQTT traffic is logged at most once per verdict this often, ms */
  mqttLogIntervalMs: number;
  /** MQTT telemetry of one event-loop turn is ingested in one call; a call starts early at this many readings */
  mqttMaxBatchReadings: number;
  /** MQTT telemetry of this window is ingested in one call (IOC_MQTT_BATCH_WINDOW_MS), ms; 0: of one event-loop turn */
  mqttBatchWindowMs: number;
  /** external broker: unacknowledged QoS 1 messages it may send the server at once (MQTT 5 Receive Maximum) */
  mqttReceiveMaximum: number;
  /** external broker (IOC_MQTT_URL); null: the embedded broker (or none) */
  mqttUrl: string | null;
  mqttUsername: string | null;
  mqttPassword: string | null;
  /** shared-subscription group on the external broker */
  mqttShareGroup: string;
  /** client id on the external broker; null: ioc-<hostname>-<http port> */
  mqttClientId: string | null;
  /** session expiry the server asks the external broker for, s */
  mqttSessionExpiryS: number;
  /** external broker: first and longest reconnect delay (doubling), ms */
  mqttReconnectMinMs: number;
  mqttReconnectMaxMs: number;
  /** external broker: a command's PUBACK within this, else its delivery failed, ms */
  mqttDeliverTimeoutMs: number;
  /** embedded broker: new connections per second per remote address */
  mqttConnectRatePerS: number;
  /** embedded broker: connections an address may open at once (bucket size) */
  mqttConnectBurst: number;
  /** refused CONNECTs and closed connections are audited at most once per (source, device) this often, ms */
  mqttAuditIntervalMs: number;
  /** a command to a device not acknowledged within this is `timed_out` (IOC_DEVICE_COMMAND_TIMEOUT_MS), ms */
  deviceCommandTimeoutMs: number;
  /** contingency plan triggers are evaluated this often on each node (server/plans/), ms */
  planTickIntervalMs: number;
  /** notifications beyond the open page: webhooks, Web Push, ladder and re-notify tick (server/notify/notify-config.ts) */
  notify: NotifyConfig;
  /** readings roll-ups (issue 16, server/rollups/rollup-config.ts): retention, flush interval */
  rollups: RollupConfig;
  /** issue 17: raster basemaps from IOC_BASEMAP_URL / IOC_BASEMAPS (server/basemap-config.ts); empty = offline base only */
  basemaps: BasemapSource[];
  /** issue 16: who the CAP 1.2 feed names as sender (IOC_CAP_SENDER, IOC_CAP_SENDER_NAME[_EN], IOC_CAP_IDENTIFIER_PREFIX; server/exports/cap-sender-config.ts) */
  capSender: CapSender;
}

/** The embedded broker's port unless IOC_MQTT_PORT says otherwise: not 1883, so it never collides with a system broker. */
export const DEFAULT_MQTT_PORT = 1884;

export const DEV_JWT_SECRET = 'city-ioc-development-jwt-secret-not-for-production';
export const DEV_AUDIT_KEY = 'city-ioc-development-audit-key-not-for-production';

export class ConfigError extends Error {}

const DAY_MS = 24 * 3600_000;
/** Frame pacing judges the fan-out's share of the event loop over windows this long, ms. */
const FRAME_PACING_WINDOW_MS = 2_000;
/** MLPS level 3: audit records kept at least six months */
export const MIN_AUDIT_RETENTION_DAYS = 184;

/** IOC_MFA_REQUIRED_ROLES: comma-separated roles (empty = none); unset = `admin` in production, none otherwise. */
function mfaRolesOf(value: string | undefined, production: boolean): Role[] {
  if (value === undefined) return production ? ['admin'] : [];
  const roles: Role[] = [];
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const role = RoleSchema.safeParse(part);
    if (!role.success) throw new ConfigError(`IOC_MFA_REQUIRED_ROLES: unknown role '${part}' (roles: ${RoleSchema.options.join(', ')})`);
    roles.push(role.data);
  }
  return roles;
}

function dedupConfigOrThrow(radii: string | undefined, windowMin: number | undefined): DedupConfig {
  try {
    return dedupConfigFromEnv(radii, windowMin);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function notifyConfigOrThrow(env: NodeJS.ProcessEnv, production: boolean): NotifyConfig {
  try {
    return notifyConfigFromEnv(env, production);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

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
  if ((e.IOC_BOOTSTRAP_ADMIN === undefined) !== (e.IOC_BOOTSTRAP_PASSWORD === undefined)) {
    throw new ConfigError('IOC_BOOTSTRAP_ADMIN and IOC_BOOTSTRAP_PASSWORD go together: set both or neither');
  }
  const bootstrapRefusal = e.IOC_BOOTSTRAP_PASSWORD !== undefined ? passwordPolicyRefusal(e.IOC_BOOTSTRAP_PASSWORD, e.IOC_BOOTSTRAP_ADMIN) : null;
  if (bootstrapRefusal) throw new ConfigError(`IOC_BOOTSTRAP_PASSWORD: ${bootstrapRefusal.message}`);
  if (production && !e.IOC_DEVICE_SECRET) {
    throw new ConfigError('NODE_ENV=production requires IOC_DEVICE_SECRET (at least 16 characters); refusing to start');
  }
  if (production && !e.IOC_AUDIT_KEY) {
    throw new ConfigError('NODE_ENV=production requires IOC_AUDIT_KEY (at least 32 characters); refusing to start');
  }
  // the development constants are public (they are in this file): a production server using one is open to anyone
  const publicSecrets = [
    e.IOC_JWT_SECRET === DEV_JWT_SECRET && 'IOC_JWT_SECRET',
    e.IOC_DEVICE_SECRET === DEV_DEVICE_SECRET && 'IOC_DEVICE_SECRET',
    e.IOC_AUDIT_KEY === DEV_AUDIT_KEY && 'IOC_AUDIT_KEY',
  ].filter((n): n is string => typeof n === 'string');
  if (production && publicSecrets.length > 0) {
    throw new ConfigError(
      `NODE_ENV=production with the public development value of ${publicSecrets.join(', ')}; generate random ones ` +
        '(e.g. `openssl rand -base64 48`); refusing to start',
    );
  }
  const origins = e.IOC_ALLOWED_ORIGINS !== undefined ? parseOriginList(e.IOC_ALLOWED_ORIGINS) : null;
  if (origins && !origins.ok) throw new ConfigError(`IOC_ALLOWED_ORIGINS: ${origins.message}`);
  const coalesceMs = Math.max(50, e.IOC_COALESCE_MS);
  const metricsAllow = e.IOC_METRICS_ALLOW !== undefined ? parseAddressList(e.IOC_METRICS_ALLOW) : null;
  if (metricsAllow && !metricsAllow.ok) throw new ConfigError(`IOC_METRICS_ALLOW: ${metricsAllow.message}`);
  if (e.IOC_MQTT_URL !== undefined && e.IOC_MQTT_PORT !== undefined) {
    throw new ConfigError('IOC_MQTT_URL (an external broker) and IOC_MQTT_PORT (the embedded broker) exclude each other: set one; refusing to start');
  }
  if (e.IOC_MQTT_URL !== undefined && !URL.canParse(e.IOC_MQTT_URL)) throw new ConfigError('IOC_MQTT_URL is not a valid URL');
  if (production && e.IOC_AUDIT_RETENTION_DAYS < MIN_AUDIT_RETENTION_DAYS) {
    throw new ConfigError(`IOC_AUDIT_RETENTION_DAYS must be at least ${MIN_AUDIT_RETENTION_DAYS} (six months) in production; refusing to start`);
  }
  return {
    production,
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    storeMode: e.IOC_STORE,
    cluster: e.IOC_CLUSTER === 'on',
    clusterAdapter: e.IOC_CLUSTER_ADAPTER,
    redisPrefix: e.IOC_REDIS_PREFIX,
    jwtSecret: e.IOC_JWT_SECRET ?? DEV_JWT_SECRET,
    jwtSecretIsDefault: !e.IOC_JWT_SECRET,
    deviceSecret: e.IOC_DEVICE_SECRET ?? DEV_DEVICE_SECRET,
    auditKey: e.IOC_AUDIT_KEY ?? DEV_AUDIT_KEY,
    auditKeyIsDefault: !e.IOC_AUDIT_KEY,
    auditAnchorFile: e.IOC_AUDIT_ANCHOR_FILE
      ? resolve(e.IOC_AUDIT_ANCHOR_FILE)
      : e.NODE_ENV === 'test'
        ? null
        : resolve(process.cwd(), 'var', 'audit-anchors.jsonl'),
    auditAnchorIntervalMs: 60_000,
    auditRetentionDays: e.IOC_AUDIT_RETENTION_DAYS,
    demoPassword: e.IOC_DEMO_PASSWORD,
    seedDemoUsers: !production,
    demoDevices: e.IOC_DEMO_DEVICES,
    demoSeed: e.IOC_DEMO_SEED,
    demoPastDays: e.IOC_DEMO_PAST_DAYS ?? (e.NODE_ENV === 'test' ? 0 : 7),
    tokenTtlS: Math.max(1, e.IOC_ACCESS_TTL_S),
    sessionIdleTimeoutMs: Math.max(1, e.IOC_IDLE_TIMEOUT_MIN) * 60_000,
    sessionMaxMs: Math.max(1, e.IOC_SESSION_MAX_H) * 3600_000,
    screenTokenMs: Math.max(1, e.IOC_SCREEN_TOKEN_DAYS) * DAY_MS,
    sessionTouchIntervalMs: 60_000,
    sessionUsedRefreshTokensKept: 16,
    sessionSweepIntervalMs: 5_000,
    coalesceIntervalMs: coalesceMs,
    framePacing: {
      maxIntervalMs: Math.max(coalesceMs, e.IOC_COALESCE_MAX_MS),
      targetShare: Math.min(100, Math.max(1, e.IOC_FANOUT_LOOP_PCT)) / 100,
      windowMs: FRAME_PACING_WINDOW_MS,
    },
    warningsCoalesceMs: 200,
    areaWarningRulesReloadMs: 30_000,
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
    commutativeRetries: 16,
    dedup: dedupConfigOrThrow(e.IOC_DEDUP_RADII_M, e.IOC_DEDUP_WINDOW_MIN),
    storeCommandTimeoutMs: 2_000,
    housekeepIntervalMs: 3600_000,
    closedRetentionMs: e.IOC_RETENTION_DAYS * DAY_MS,
    historyRetentionMs: e.IOC_HISTORY_RETENTION_DAYS * DAY_MS,
    photoRetentionMs: e.IOC_PHOTO_RETENTION_DAYS * DAY_MS,
    maxPhotoBytesTotal: e.IOC_PHOTO_QUOTA_MB * 1024 * 1024,
    offlineCheckIntervalMs: 5_000,
    offlineStartupGraceMs: e.IOC_OFFLINE_STARTUP_GRACE_MS,
    maxPhotoBytes: 2 * 1024 * 1024,
    maxDeferredReadings: 500_000,
    inboundMaxDepth: 32,
    liveMaxMessageBytes: 64 * 1024,
    liveEventRatePerS: 20,
    liveEventBurst: 60,
    liveMaxRefusedEvents: 200,
    liveJoinRatePerS: 2,
    liveJoinBurst: 12,
    liveQueryRatePerS: 5,
    liveQueryBurst: 20,
    liveReplayRatePerS: 4,
    liveReplayBurst: 8,
    replayPageMaxEvents: 500,
    replayPageMaxBytes: 512 * 1024,
    commandRatePerS: 20,
    commandBurst: 40,
    deviceEventRatePerS: 20,
    deviceEventBurst: 60,
    unauthConnectionsPerSource: 256,
    authFailureBurst: 30,
    authFailureRefillPerS: 0.5,
    liveMaxBufferedBytes: 8 * 1024 * 1024,
    liveMaxQueuedPackets: 2000,
    liveBufferCheckIntervalMs: 1000,
    liveStalledChecks: 5,
    rateLimitMaxKeys: 50_000,
    spoolDir: e.IOC_SPOOL_DIR ? resolve(e.IOC_SPOOL_DIR) : e.NODE_ENV === 'test' ? null : resolve(process.cwd(), 'var', 'spool'),
    ingestBurstFactor: 10,
    ingestDeviceMinReadingsPerS: 1,
    ingestBurstSeconds: 60,
    ingestSourceReadingsPerS: 100_000,
    ingestAuthProbeReadings: 16,
    bootstrapAdmin:
      e.IOC_BOOTSTRAP_ADMIN !== undefined && e.IOC_BOOTSTRAP_PASSWORD !== undefined
        ? { username: e.IOC_BOOTSTRAP_ADMIN, password: e.IOC_BOOTSTRAP_PASSWORD }
        : null,
    refuseDemoAccounts: production,
    loginSourceMaxFailures: 20,
    loginSourceWindowMs: 15 * 60_000,
    loginSourceBlockMs: 15 * 60_000,
    loginPairMaxFailures: 5,
    loginPairWindowMs: 15 * 60_000,
    loginPairBlockMs: 15 * 60_000,
    loginDelayAfterFailures: 3,
    loginDelayBaseMs: 250,
    loginDelayMaxMs: 4_000,
    mfaChallengeTtlMs: 5 * 60_000,
    mfaChallengeMaxAttempts: 5,
    mfaRequiredRoles: mfaRolesOf(e.IOC_MFA_REQUIRED_ROLES, production),
    passwordMaxAgeMs: e.IOC_PASSWORD_MAX_AGE_DAYS * DAY_MS,
    passwordHistoryCount: 5,
    allowedOrigins: origins ? origins.origins : production ? [] : [...DEV_CLIENT_ORIGINS],
    metricsToken: e.IOC_METRICS_TOKEN ?? null,
    metricsAllow: metricsAllow ? metricsAllow.entries : [...DEFAULT_METRICS_ALLOW],
    mqttPort:
      e.IOC_MQTT_URL !== undefined
        ? null
        : e.IOC_MQTT_PORT !== undefined
          ? e.IOC_MQTT_PORT || null
          : e.NODE_ENV === 'test'
            ? null
            : DEFAULT_MQTT_PORT,
    mqttPortExplicit: e.IOC_MQTT_PORT !== undefined,
    mqttMaxPayloadBytes: 256 * 1024,
    mqttMaxPacketBytes: 512 * 1024,
    mqttConnectTimeoutMs: 10_000,
    mqttLogIntervalMs: 10_000,
    mqttMaxBatchReadings: 2_000,
    mqttBatchWindowMs: e.IOC_MQTT_BATCH_WINDOW_MS,
    mqttReceiveMaximum: 1_000,
    mqttUrl: e.IOC_MQTT_URL ?? null,
    mqttUsername: e.IOC_MQTT_USERNAME ?? null,
    mqttPassword: e.IOC_MQTT_PASSWORD ?? null,
    mqttShareGroup: e.IOC_MQTT_SHARE_GROUP,
    mqttClientId: e.IOC_MQTT_CLIENT_ID ?? null,
    mqttSessionExpiryS: e.IOC_MQTT_SESSION_EXPIRY_S,
    mqttReconnectMinMs: 500,
    mqttReconnectMaxMs: 30_000,
    mqttDeliverTimeoutMs: 5_000,
    mqttConnectRatePerS: Math.max(1, e.IOC_MQTT_CONNECT_RATE_PER_S),
    mqttConnectBurst: Math.max(1, e.IOC_MQTT_CONNECT_BURST),
    mqttAuditIntervalMs: 60_000,
    deviceCommandTimeoutMs: Math.max(1, e.IOC_DEVICE_COMMAND_TIMEOUT_MS),
    planTickIntervalMs: 3_000,
    notify: notifyConfigOrThrow(env, production),
    rollups: rollupConfigFromEnv(env, (message) => new ConfigError(message)),
    basemaps: basemapsFromEnv(env, (message) => new ConfigError(message)),
    capSender: capSenderFromEnv(env, (message) => new ConfigError(message)),
    ...overrides,
  };
}
