/**
 * Redis Store (ioredis). Same contract as MemoryStore; see store.ts for the invariants.
 *
 * Key layout, all under `${prefix}:`:
 * - `readings`           stream, fields d=deviceId t=ts s=seq m=JSON metrics, `MAXLEN ~ readingsStreamMaxLen`
 * - `events`             stream, field e=JSON LogEvent without id (the id is the stream id), `MAXLEN ~ eventsStreamMaxLen`
 * - `devstate`           hash deviceId → JSON DeviceState
 * - `alert:<id>`         JSON Alert; `alerts:open` set of ids (not cleared, or cleared but unacked);
 *                        `alerts:recent` zset id → lastTs
 * - `incident:<id>`      JSON Incident; `incidents:open` set; `incidents:closed` zset id → closedTs
 * - `cmd:<commandId>`    incident id the command created/transitioned, expires after 7 days
 * - `claim:<commandId>`  claim marker (SET NX PX)
 * - `user:<username>`    JSON StoredUser; `users` set of usernames
 * - `blob:<id>`          hash ct=content type, d=bytes
 *
 * Atomicity: createIncident and transitionIncident are single Lua scripts (idempotency check,
 * compare-and-set on `version`, write, index update, event append); saveAlert is one MULTI;
 * appendReadings is one Lua script per 1,000 readings (all of them or none).
 *
 * Stream ids are Redis' auto ids (append time), not the reading/event `ts`. Time-range reads scan
 * the stream from `fromTs - streamClockSkewMs` and stop once append time passes
 * `toTs + streamIngestLagMs`, filtering on the stored `ts`. So a reading or event appended more
 * than `streamIngestLagMs` after its own ts (a long device backfill) is stored but not found by
 * time-range queries; widen the lag if devices buffer for longer.
 *
 * Reconnects: clients built here (from a URL, or by openStore) use ioredis' default retry
 * strategy forever, but `maxRetriesPerRequest: 2`, so a command issued while Redis is down is
 * rejected after two failed reconnect attempts instead of hanging; `ping()` additionally races a
 * `pingTimeoutMs` timer and reports false.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Alert, DeviceState, Incident, Reading } from '../../scenes/domain';
import type { LogEvent } from '../../scenes/protocol';
import { assertNextVersion, INCIDENT_COMMAND_TTL_MS } from './memory-store';
import { DEFAULT_STORE_OPTIONS, type CreateOutcome, type Store, type StoreOptions, type StoredUser, type TransitionOutcome } from './store';

/** ioredis options for long-lived store clients (see the module comment on reconnects). */
export const REDIS_CLIENT_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 2,
  enableOfflineQueue: true,
  connectTimeout: 5_000,
};

export interface RedisStoreConfig {
  /** PING gives up after this long and ping() reports false */
  pingTimeoutMs?: number;
  /** how far a reading/event ts may be ahead of the clock that appended it */
  streamClockSkewMs?: number;
  /** how long after its ts a reading/event may be appended and still be found by range reads */
  streamIngestLagMs?: number;
  /** entries fetched per XRANGE page */
  streamPageSize?: number;
  /** told once per outage when the connection fails */
  logger?: { warn(o: object | string, m?: string): void };
}

export const DEFAULT_REDIS_STORE_CONFIG: Required<Omit<RedisStoreConfig, 'logger'>> = {
  pingTimeoutMs: 1_000,
  streamClockSkewMs: 5 * 60 * 1000,
  streamIngestLagMs: 60 * 60 * 1000,
  streamPageSize: 1_000,
};

/** ids per MGET round trip when loading many alerts/incidents/users */
const MGET_CHUNK_SIZE = 1_000;

/** Lua: shared tail of both incident scripts — write, record command, update indexes, append event. */
const LUA_WRITE_INCIDENT = `
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[6] == '1' then
  redis.call('SREM', KEYS[3], ARGV[2])
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[2])
else
  redis.call('SADD', KEYS[3], ARGV[2])
  redis.call('ZREM', KEYS[4], ARGV[2])
end
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*', 'e', ARGV[4])
`;

/** Lua: a command id seen before returns the incident it touched, as it is now. */
const LUA_CHECK_DUPLICATE = `
local seen = redis.call('GET', KEYS[1])
if seen then
  local current = redis.call('GET', ARGV[8] .. seen)
  if current then return {'duplicate', current} end
end
`;

/**
 * KEYS: cmd, incident, incidents:open, incidents:closed, events
 * ARGV: incidentJson, id, cmdTtlMs, eventJson, eventsMaxLen, isClosed '1'|'0', closedScore, incidentKeyPrefix
 * An existing incident id is never overwritten by a create.
 */
const LUA_CREATE_INCIDENT = `${LUA_CHECK_DUPLICATE}
local existing = redis.call('GET', KEYS[2])
if existing then return {'duplicate', existing} end
${LUA_WRITE_INCIDENT}
return {'applied'}
`;

/** Same KEYS/ARGV as create, plus ARGV[9] = expectedVersion. */
const LUA_TRANSITION_INCIDENT = `${LUA_CHECK_DUPLICATE}
local current = redis.call('GET', KEYS[2])
if not current then return {'not_found'} end
local stored = cjson.decode(current)
if tonumber(stored['version']) ~= tonumber(ARGV[9]) then return {'conflict', current} end
${LUA_WRITE_INCIDENT}
return {'applied'}
`;

/**
 * KEYS: readings stream. ARGV: maxLen, then deviceId, ts, seq, metricsJson per reading.
 * One script call appends a whole batch: the same entries as one XADD per reading, but one
 * command for ioredis to build instead of a thousand (≈ 6× less client CPU per reading; see
 * bench/README.md), and atomic, so a batch retried after a failure is never half in the stream.
 */
const LUA_APPEND_READINGS = `
local key, maxLen = KEYS[1], ARGV[1]
for i = 2, #ARGV, 4 do
  redis.call('XADD', key, 'MAXLEN', '~', maxLen, '*', 'd', ARGV[i], 't', ARGV[i + 1], 's', ARGV[i + 2], 'm', ARGV[i + 3])
end
return (#ARGV - 1) / 4
`;

/** Readings per append script call: bounds how long one call holds Redis (≈ 3 µs per reading). */
const APPEND_CHUNK = 1_000;

type ScriptReply = [string, string?];
interface IncidentScripts {
  iocAppendReadings(key: string, ...args: string[]): Promise<number>;
  iocCreateIncident(...keysAndArgs: (string | number)[]): Promise<ScriptReply>;
  iocTransitionIncident(...keysAndArgs: (string | number)[]): Promise<ScriptReply>;
}

type StreamEntry = [id: string, fields: string[]];

function streamIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function fieldsToMap(fields: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  return map;
}

function isAlertOpen(alert: Alert): boolean {
  return !alert.cleared || !alert.acknowledged;
}

/** Redis pipelines/transactions report per-command errors in their result; surface the first. */
function throwOnExecErrors(results: [Error | null, unknown][] | null, what: string): void {
  if (results === null) throw new Error(`${what}: transaction aborted`);
  for (const [err] of results) if (err) throw err;
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private readonly scripts: IncidentScripts;
  private readonly options: StoreOptions;
  private readonly config: Required<Omit<RedisStoreConfig, 'logger'>>;
  private readonly logger: RedisStoreConfig['logger'];
  private outageReported = false;

  /**
   * @param client an ioredis client (the store takes ownership: close() quits it) or a URL,
   *   in which case a client with REDIS_CLIENT_OPTIONS is created
   */
  constructor(client: Redis | string, options: Partial<StoreOptions> = {}, config: RedisStoreConfig = {}) {
    this.client = typeof client === 'string' ? new Redis(client, REDIS_CLIENT_OPTIONS) : client;
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
    const { logger, ...tuning } = config;
    this.config = { ...DEFAULT_REDIS_STORE_CONFIG, ...tuning };
    this.logger = logger;
    this.client.on('error', this.onClientError);
    this.client.on('ready', this.onClientReady);
    this.client.defineCommand('iocAppendReadings', { numberOfKeys: 1, lua: LUA_APPEND_READINGS });
    this.client.defineCommand('iocCreateIncident', { numberOfKeys: 5, lua: LUA_CREATE_INCIDENT });
    this.client.defineCommand('iocTransitionIncident', { numberOfKeys: 5, lua: LUA_TRANSITION_INCIDENT });
    this.scripts = this.client as unknown as IncidentScripts;
  }

  // --- telemetry -------------------------------------------------------------------------

  async appendReadings(readings: readonly Reading[]): Promise<void> {
    if (readings.length === 0) return;
    const key = this.key('readings');
    const maxLen = String(this.options.readingsStreamMaxLen);
    const calls: Promise<number>[] = [];
    for (let start = 0; start < readings.length; start += APPEND_CHUNK) {
      const args: string[] = [maxLen];
      const end = Math.min(readings.length, start + APPEND_CHUNK);
      for (let i = start; i < end; i++) {
        const r = readings[i]!;
        args.push(r.deviceId, String(r.ts), String(r.seq), JSON.stringify(r.metrics));
      }
      calls.push(this.scripts.iocAppendReadings(key, ...args));
    }
    await Promise.all(calls);
  }

  async readReadings(deviceIds: readonly string[], fromTs: number, toTs: number, limit: number): Promise<Reading[]> {
    if (deviceIds.length === 0 || limit <= 0 || toTs < fromTs) return [];
    const wanted = new Set(deviceIds);
    return this.scanStreamByTs(this.key('readings'), fromTs, toTs, limit, (id, fields) => {
      const deviceId = fields.get('d');
      if (deviceId === undefined || !wanted.has(deviceId)) return null;
      return {
        deviceId,
        ts: Number(fields.get('t')),
        seq: Number(fields.get('s')),
        metrics: JSON.parse(fields.get('m') ?? '{}') as Record<string, number>,
      };
    });
  }

  async saveDeviceStates(states: readonly DeviceState[]): Promise<void> {
    if (states.length === 0) return;
    const flat: string[] = [];
    for (const s of states) flat.push(s.deviceId, JSON.stringify(s));
    await this.client.hset(this.key('devstate'), ...flat);
  }

  async loadDeviceStates(): Promise<DeviceState[]> {
    const all = await this.client.hgetall(this.key('devstate'));
    return Object.values(all).map((json) => JSON.parse(json) as DeviceState);
  }

  // --- alerts ----------------------------------------------------------------------------

  async saveAlert(alert: Alert, event?: Omit<LogEvent, 'id'>): Promise<void> {
    const tx = this.client.multi();
    tx.set(this.key(`alert:${alert.id}`), JSON.stringify(alert));
    if (isAlertOpen(alert)) tx.sadd(this.key('alerts:open'), alert.id);
    else tx.srem(this.key('alerts:open'), alert.id);
    tx.zadd(this.key('alerts:recent'), alert.lastTs, alert.id);
    if (event) tx.xadd(this.key('events'), 'MAXLEN', '~', String(this.options.eventsStreamMaxLen), '*', 'e', this.encodeEvent(event));
    throwOnExecErrors(await tx.exec(), 'saveAlert');
  }

  async loadAlerts(sinceTs: number): Promise<Alert[]> {
    const [open, recent] = await Promise.all([
      this.client.smembers(this.key('alerts:open')),
      this.client.zrangebyscore(this.key('alerts:recent'), `(${sinceTs}`, '+inf'),
    ]);
    const ids = [...new Set([...open, ...recent])];
    return this.mgetJson<Alert>(ids.map((id) => this.key(`alert:${id}`)));
  }

  // --- incidents -------------------------------------------------------------------------

  async createIncident(incident: Incident, commandId: string): Promise<CreateOutcome> {
    const [status, json] = await this.scripts.iocCreateIncident(...this.incidentScriptKeysAndArgs(incident, commandId, 'incident.created'));
    if (status === 'duplicate' && json !== undefined) return { status, incident: JSON.parse(json) as Incident };
    return { status: 'applied', incident: structuredClone(incident) };
  }

  async incidentForCommand(commandId: string): Promise<string | null> {
    return this.client.get(this.key(`cmd:${commandId}`));
  }

  async getIncident(id: string): Promise<Incident | null> {
    const json = await this.client.get(this.key(`incident:${id}`));
    return json === null ? null : (JSON.parse(json) as Incident);
  }

  async loadIncidents(sinceTs: number): Promise<Incident[]> {
    const [open, closed] = await Promise.all([
      this.client.smembers(this.key('incidents:open')),
      this.client.zrangebyscore(this.key('incidents:closed'), `(${sinceTs}`, '+inf'),
    ]);
    const ids = [...new Set([...open, ...closed])];
    return this.mgetJson<Incident>(ids.map((id) => this.key(`incident:${id}`)));
  }

  async transitionIncident(next: Incident, expectedVersion: number, commandId: string): Promise<TransitionOutcome> {
    assertNextVersion(next, expectedVersion);
    const [status, json] = await this.scripts.iocTransitionIncident(
      ...this.incidentScriptKeysAndArgs(next, commandId, 'incident.transition'),
      String(expectedVersion),
    );
    switch (status) {
      case 'applied':
        return { status, incident: structuredClone(next) };
      case 'duplicate':
        return { status, incident: JSON.parse(json ?? 'null') as Incident };
      case 'conflict':
        return { status, current: JSON.parse(json ?? 'null') as Incident };
      case 'not_found':
        return { status };
      default:
        throw new Error(`transitionIncident: unexpected script reply '${status}'`);
    }
  }

  // --- commands --------------------------------------------------------------------------

  async claimCommand(commandId: string, ttlMs: number): Promise<boolean> {
    const reply = await this.client.set(this.key(`claim:${commandId}`), '1', 'PX', ttlMs, 'NX');
    return reply === 'OK';
  }

  // --- event log -------------------------------------------------------------------------

  async appendEvent(event: Omit<LogEvent, 'id'>): Promise<string> {
    const id = await this.client.xadd(this.key('events'), 'MAXLEN', '~', String(this.options.eventsStreamMaxLen), '*', 'e', this.encodeEvent(event));
    if (id === null) throw new Error('appendEvent: XADD returned no id');
    return id;
  }

  async readEvents(fromTs: number, toTs: number, limit: number): Promise<LogEvent[]> {
    if (limit <= 0 || toTs < fromTs) return [];
    return this.scanStreamByTs(this.key('events'), fromTs, toTs, limit, (id, fields) => {
      const json = fields.get('e');
      if (json === undefined) return null;
      return { ...(JSON.parse(json) as Omit<LogEvent, 'id'>), id };
    });
  }

  // --- people ----------------------------------------------------------------------------

  async getUser(username: string): Promise<StoredUser | null> {
    const json = await this.client.get(this.key(`user:${username}`));
    return json === null ? null : (JSON.parse(json) as StoredUser);
  }

  async putUser(user: StoredUser): Promise<void> {
    const tx = this.client.multi();
    tx.set(this.key(`user:${user.username}`), JSON.stringify(user));
    tx.sadd(this.key('users'), user.username);
    throwOnExecErrors(await tx.exec(), 'putUser');
  }

  async listUsers(): Promise<StoredUser[]> {
    const names = (await this.client.smembers(this.key('users'))).sort((a, b) => a.localeCompare(b));
    return this.mgetJson<StoredUser>(names.map((n) => this.key(`user:${n}`)));
  }

  // --- blobs -----------------------------------------------------------------------------

  async putBlob(id: string, contentType: string, data: Buffer): Promise<void> {
    await this.client.hset(this.key(`blob:${id}`), 'ct', contentType, 'd', data);
  }

  async getBlob(id: string): Promise<{ contentType: string; data: Buffer } | null> {
    const [ct, data] = await this.client.hmgetBuffer(this.key(`blob:${id}`), 'ct', 'd');
    if (ct === null || data === null) return null;
    return { contentType: ct.toString('utf8'), data };
  }

  async ping(): Promise<boolean> {
    if (this.client.status === 'end') return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.pingTimeoutMs);
    });
    try {
      return await Promise.race([this.client.ping().then((r) => r === 'PONG'), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.client.off('ready', this.onClientReady);
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
      } catch {
        this.client.disconnect();
      }
    } else {
      this.client.disconnect();
    }
    this.client.off('error', this.onClientError);
  }

  // --- internals -------------------------------------------------------------------------

  private key(suffix: string): string {
    return `${this.options.prefix}:${suffix}`;
  }

  private encodeEvent(event: Omit<LogEvent, 'id'>): string {
    // the id is the stream id; never store a caller-supplied one
    const { id: _ignored, ...rest } = event as Partial<LogEvent>;
    return JSON.stringify(rest);
  }

  private incidentScriptKeysAndArgs(incident: Incident, commandId: string, eventType: 'incident.created' | 'incident.transition'): string[] {
    const event: Omit<LogEvent, 'id'> = { ts: incident.updatedTs, type: eventType, scene: incident.scene, incident };
    const isClosed = incident.state === 'closed';
    return [
      this.key(`cmd:${commandId}`),
      this.key(`incident:${incident.id}`),
      this.key('incidents:open'),
      this.key('incidents:closed'),
      this.key('events'),
      JSON.stringify(incident),
      incident.id,
      String(INCIDENT_COMMAND_TTL_MS),
      JSON.stringify(event),
      String(this.options.eventsStreamMaxLen),
      isClosed ? '1' : '0',
      String(incident.closedTs ?? incident.updatedTs),
      this.key('incident:'),
    ];
  }

  private async mgetJson<T>(keys: string[]): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < keys.length; i += MGET_CHUNK_SIZE) {
      const values = await this.client.mget(keys.slice(i, i + MGET_CHUNK_SIZE));
      for (const json of values) if (json !== null) out.push(JSON.parse(json) as T);
    }
    return out;
  }

  /**
   * Page through a stream by append time and keep entries whose stored ts is in range; result is
   * sorted by ts (stable by stream id) and capped at `limit`. Stops early once no later entry can
   * have a ts below the current limit-th smallest (append time − ingest lag exceeds it).
   */
  private async scanStreamByTs<T extends { ts: number }>(
    key: string,
    fromTs: number,
    toTs: number,
    limit: number,
    decode: (id: string, fields: Map<string, string>) => T | null,
  ): Promise<T[]> {
    const { streamClockSkewMs, streamIngestLagMs, streamPageSize } = this.config;
    const stopAfterMs = toTs + streamIngestLagMs;
    let start = `${Math.max(0, fromTs - streamClockSkewMs)}-0`;
    let kept: T[] = [];
    /** ts of the limit-th smallest kept so far (an upper bound of the final one); Infinity until `limit` kept */
    let limitTs = Number.POSITIVE_INFINITY;
    for (;;) {
      const page = (await this.client.xrange(key, start, '+', 'COUNT', streamPageSize)) as StreamEntry[];
      let stop = page.length < streamPageSize;
      for (const [id, rawFields] of page) {
        const appendedMs = streamIdMs(id);
        if (appendedMs > stopAfterMs) {
          stop = true;
          break;
        }
        if (appendedMs - streamIngestLagMs > limitTs) {
          stop = true;
          break;
        }
        const item = decode(id, fieldsToMap(rawFields));
        if (item === null || item.ts < fromTs || item.ts > toTs) continue;
        kept.push(item);
        if (kept.length >= 2 * limit || (kept.length === limit && limitTs === Number.POSITIVE_INFINITY)) {
          kept = sortByTs(kept).slice(0, limit);
          limitTs = kept[limit - 1].ts;
        }
      }
      if (stop || page.length === 0) break;
      start = `(${page[page.length - 1][0]}`;
    }
    return sortByTs(kept).slice(0, limit);
  }

  private readonly onClientError = (err: Error): void => {
    if (this.outageReported) return;
    this.outageReported = true;
    this.logger?.warn({ err: err.message, prefix: this.options.prefix }, 'redis store: connection error, retrying');
  };

  private readonly onClientReady = (): void => {
    this.outageReported = false;
  };
}

function sortByTs<T extends { ts: number }>(items: T[]): T[] {
  return items.sort((a, b) => a.ts - b.ts);
}
