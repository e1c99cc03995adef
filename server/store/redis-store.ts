/**
 * Redis Store (ioredis). Same contract as MemoryStore; see store.ts for the invariants.
 *
 * Key layout, all under `${prefix}:`:
 * - `readings`           stream, fields d=deviceId t=ts s=seq m=JSON metrics n=nodeId of the node that
 *                        accepted it (absent in entries written before issue 15), `MAXLEN ~ readingsStreamMaxLen`
 * - `batch:<batchId>:<chunk>`  de-duplication marker of an appended readings chunk, TTL `batchIdTtlMs`
 * - `events`             stream, field e=JSON LogEvent without id (the id is the stream id) plus `node` = the
 *                        appending node's id (absent before issue 15; never answered by readEvents),
 *                        `MAXLEN ~ eventsStreamMaxLen`; incident events carry the incident without its
 *                        history plus the newest transition
 * - `devstate`           hash deviceId → JSON DeviceState (bounded by the device count);
 *                        `devstate:cursor` readings cursor the states reflect, written with them
 * - `alert:<id>`         JSON Alert, expires `closedRetentionMs` after it was cleared and acknowledged;
 *                        `alerts:open` set of ids (not cleared, or cleared but unacked);
 *                        `alerts:recent` zset id → lastTs, trimmed by housekeep
 * - `ackcmd:<commandId>` alert id an alert command was recorded with, TTL `commandTtlMs`
 * - `incident:<id>`      JSON Incident, expires `closedRetentionMs` after it closed;
 *                        `incidents:open` set; `incidents:closed` zset id → closedTs, trimmed by housekeep
 * - `cmd:<commandId>`    incident id the command created/transitioned, TTL `commandTtlMs`
 * - `claim:<commandId>`  claim marker (SET NX PX; deprecated)
 * - `user:<username>`    JSON StoredUser; `users` set of usernames (bounded by accounts)
 * - `reg:<c>`            registry (issue 11), c = device | asset | rule: hash id → JSON record (bounded by
 *                        the registry's limits); `reg:<c>:ver` hash id → version (the compare-and-set field);
 *                        `reg:<c>:hist:<id>` list of JSON RegistryChange, LTRIM to `registryHistoryPerRecord`;
 *                        every write script also appends one `registry.changed` event to `events` (issue 15)
 * - `reg:cred`           hash deviceId → JSON StoredDeviceCredential (sha256 of the token, never the token)
 * - `devcmd:<commandId>`, `devcmds:<deviceId>`, `devcmds-pending`  commands to devices (issue 13),
 *                        see redis-device-commands.ts
 * - `blob:<id>`          hash ct=content type, d=bytes, TTL `blobRetentionMs`;
 *                        `blobs:expiry` zset id → expiry ms, `blobs:size` hash id → bytes,
 *                        `blobs:bytes` bytes of unexpired blobs (the `maxBlobBytesTotal` quota)
 *
 * Atomicity: createIncident and transitionIncident are single Lua scripts (idempotency check,
 * compare-and-set on `version`, write, index update, event append); saveAlert is one MULTI;
 * appendReadings is one Lua script per 1,000 readings (all of them or none, de-duplicated by
 * batch id; batches of ≤ 100 readings that arrive while one is being written share the next call,
 * each still whole or not at all and de-duplicated by its own id: redis-append-group.ts); putBlob
 * is one Lua script (quota check and write).
 *
 * Encoding: every JSON the store writes goes through `encodeStoredJson`, which makes strings
 * well-formed Unicode (a lone UTF-16 surrogate becomes U+FFFD). Lua's cjson refuses the `\ud83d`
 * escape JSON.stringify writes for a lone surrogate; an incident stored that way before this rule
 * (issue 10, defect #2) is still read: the transition script falls back to the version field's text
 * when cjson.decode fails, and the transition rewrites the incident well-formed.
 *
 * Stream ids are Redis' auto ids (append time), not the reading/event `ts`. Time-range reads scan
 * the stream from `fromTs - streamClockSkewMs` and stop once append time passes
 * `toTs + streamIngestLagMs`, filtering on the stored `ts`. So a reading or event appended more
 * than `streamIngestLagMs` after its own ts (a long device backfill) is stored but not found by
 * time-range queries; widen the lag if devices buffer for longer.
 *
 * Shared log tail (issue 15): `tailLog` runs one `XREAD BLOCK` over both streams on a connection
 * of its own (`client.duplicate()`, opened by the first tail, closed by close()): a blocking read
 * on the main client would hold every command queued behind it. Its deadline is the block time plus
 * `commandTimeoutMs`; a read that overruns it drops that connection (a late reply must not be taken
 * for the next read's) and the next tail opens a fresh one. A hole (entries after the cursor
 * trimmed by MAXLEN before they were read) is told by the cursor's own entry being gone (see
 * `emptyCursorGap`; Redis 7.0 does not count trimmed entries in `max-deleted-entry-id`), looked up by an
 * XRANGE pipelined behind the XREAD, so a read costs one round trip, not two.
 *
 * Deadlines (issue 10, defect #6): every call settles. Clients built here (from a URL, or by
 * openStore) reconnect forever with ioredis' default strategy, but have no offline queue
 * (`enableOfflineQueue: false`): a command issued while the connection is not ready (down,
 * reconnecting, Redis still loading its AOF) fails at once; before the first connection a call waits
 * for it at most `commandTimeoutMs`. Every command has `commandTimeout` (a Redis that accepts the
 * connection but does not answer, e.g. stopped or busy); in-flight commands of a dropped connection
 * are not resent (`autoResendUnfulfilledCommands: false`): the caller was told they failed and
 * retries with its own idempotency key. Those failures reject with StoreUnavailableError
 * (`E_UNAVAILABLE`); other errors (script bugs, wrong types) pass through unchanged. `ping()`
 * never rejects: false when Redis does not answer within `pingTimeoutMs`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Alert, DeviceState, Incident, Reading } from '../../scenes/domain';
import type { LogEvent } from '../../scenes/protocol';
import { isAlertOpen, mergeAlertCopies } from '../../scenes/alert-lifecycle';
import type { DeviceCommandRecord, DeviceCommandStatus } from '../../scenes/device-commands';
import { RedisDeviceCommands } from './redis-device-commands';
import { GroupCommit } from './group-commit';
import { GROUPED_BATCH_MAX_READINGS, LUA_APPEND_READING_GROUPS, encodeBatch, groupCallArgs, type EncodedBatch } from './redis-append-group';
import { APPEND_CHUNK_SIZE, assertNextVersion, batchChunkId } from './memory-store';
import {
  DEFAULT_STORE_OPTIONS,
  EMPTY_READINGS_CURSOR,
  StoreQuotaError,
  StoreUnavailableError,
  incidentEvent,
  isRegistryChangedEvent,
  registryChangedEvent,
  wellFormedCopy,
  type CreateOutcome,
  type DeviceCommandCreateOutcome,
  type DeviceCommandUpdateOutcome,
  type LogCursor,
  type LogTail,
  type ReadingsCursor,
  type RegistryChange,
  type RegistryCollection,
  type RegistryRecord,
  type RegistryWrite,
  type RegistryWriteOutcome,
  type StoredDeviceCredential,
  type Store,
  type StoreOptions,
  type StoredUser,
  type TransitionOutcome,
} from './store';

/** Default deadline of one Redis command (ioredis `commandTimeout`). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/** ioredis options for long-lived store clients (see the module comment on deadlines). */
export const REDIS_CLIENT_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 2,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  commandTimeout: DEFAULT_COMMAND_TIMEOUT_MS,
  connectTimeout: 5_000,
};

/** REDIS_CLIENT_OPTIONS with another command deadline. */
export function redisClientOptions(commandTimeoutMs: number = DEFAULT_COMMAND_TIMEOUT_MS): RedisOptions {
  return { ...REDIS_CLIENT_OPTIONS, commandTimeout: commandTimeoutMs };
}

export interface RedisStoreConfig {
  /**
   * deadline of one store call's Redis command, and how long a call made before the first
   * connection waits for it; applied to clients this store builds from a URL (a passed-in client
   * keeps its own `commandTimeout`)
   */
  commandTimeoutMs?: number;
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
  commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
  pingTimeoutMs: 1_000,
  streamClockSkewMs: 5 * 60 * 1000,
  streamIngestLagMs: 60 * 60 * 1000,
  streamPageSize: 1_000,
};

/** ids per MGET round trip when loading many alerts/incidents/users */
const MGET_CHUNK_SIZE = 1_000;
/** index entries / expired blobs handled per housekeeping script call (bounds how long one holds Redis) */
const HOUSEKEEP_CHUNK_SIZE = 1_000;
/**
 * HSCAN COUNT hint when loading a registry hash: a registry of 100,000 devices arrives in pages of
 * about this many fields instead of one HVALS reply of the whole hash (which holds Redis and builds
 * one reply of tens of MB in a single step)
 */
const REGISTRY_SCAN_COUNT = 1_000;

/** JSON.stringify escapes exactly the lone surrogates as `\udXXX` (pairs are written raw). */
const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * JSON for Redis: strings (values and keys) made well-formed, so Lua's cjson can always decode it.
 * Fast path: plain JSON.stringify, redone on a well-formed copy only when its output holds a
 * lone-surrogate escape (or a text that looks like one, which the slow path leaves unchanged).
 */
export function encodeStoredJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined || !LONE_SURROGATE_ESCAPE.test(json)) return json;
  return JSON.stringify(wellFormedCopy(value));
}

/**
 * Lua: shared tail of both incident scripts — write, record command, update indexes, append event.
 * A closed incident expires after the retention (ARGV[9]); SET without KEEPTTL drops that expiry
 * again when a later transition re-opens it.
 */
const LUA_WRITE_INCIDENT = `
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[6] == '1' then
  redis.call('PEXPIRE', KEYS[2], ARGV[9])
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
 * ARGV: incidentJson, id, cmdTtlMs, eventJson, eventsMaxLen, isClosed '1'|'0', closedScore,
 *       incidentKeyPrefix, closedRetentionMs
 * An existing incident id is never overwritten by a create.
 */
const LUA_CREATE_INCIDENT = `${LUA_CHECK_DUPLICATE}
local existing = redis.call('GET', KEYS[2])
if existing then return {'duplicate', existing} end
${LUA_WRITE_INCIDENT}
return {'applied'}
`;

/**
 * Same KEYS/ARGV as create, plus ARGV[10] = expectedVersion.
 * The stored version is read with a protected cjson.decode; JSON cjson refuses (a lone surrogate
 * escape written before encodeStoredJson existed) falls back to the text of the top-level
 * `"version":N` (JSON.stringify escapes every quote inside strings, and no nested Incident field is
 * named version), so such an incident is never stuck; only a text without one answers 'corrupt'.
 */
const LUA_TRANSITION_INCIDENT = `${LUA_CHECK_DUPLICATE}
local current = redis.call('GET', KEYS[2])
if not current then return {'not_found'} end
local decoded, stored = pcall(cjson.decode, current)
local version = nil
if decoded and type(stored) == 'table' then
  version = tonumber(stored['version'])
else
  version = tonumber(string.match(current, '"version":(%d+)'))
end
if version == nil then return {'corrupt', current} end
if version ~= tonumber(ARGV[10]) then return {'conflict', current} end
${LUA_WRITE_INCIDENT}
return {'applied'}
`;

/**
 * KEYS: readings stream, batch marker key. ARGV: maxLen, batchTtlMs ('' = no batch id), nodeId
 * (field `n`), then deviceId, ts, seq, metricsJson per reading. Returns the number appended (0 for
 * a batch seen before).
 * One script call appends a whole chunk: the same entries as one XADD per reading, but one
 * command for ioredis to build instead of a thousand (≈ 6× less client CPU per reading; see
 * bench/README.md), and atomic, so a chunk retried after a failure is never half in the stream,
 * and with a batch id never twice.
 */
const LUA_APPEND_READINGS = `
local key, maxLen, node = KEYS[1], ARGV[1], ARGV[3]
if ARGV[2] ~= '' then
  if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 0 end
end
for i = 4, #ARGV, 4 do
  redis.call('XADD', key, 'MAXLEN', '~', maxLen, '*', 'd', ARGV[i], 't', ARGV[i + 1], 's', ARGV[i + 2], 'm', ARGV[i + 3], 'n', node)
end
return (#ARGV - 3) / 4
`;

/**
 * Lua snippet: release expired blobs from the quota (their `blob:` keys expired by TTL).
 * KEYS[2] blobs:expiry, KEYS[3] blobs:size, KEYS[4] blobs:bytes; nowMs and limit as locals.
 */
const LUA_RELEASE_EXPIRED_BLOBS = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', nowMs, 'LIMIT', 0, limit)
for _, id in ipairs(expired) do
  local size = tonumber(redis.call('HGET', KEYS[3], id) or '0')
  redis.call('DECRBY', KEYS[4], size)
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[2], id)
end
`;

/**
 * Registry compare-and-set writes, all or nothing, with their `registry.changed` event (issue 15).
 * KEYS: reg:<c>, reg:<c>:ver, reg:cred, events.
 * ARGV: historyKeyPrefix, historyMax, eventJson, eventsMaxLen, then per write: id, expectedVersion,
 * newVersion, recordJson, changeJson ('' = none), credentialJson ('' = none).
 * Returns {'applied'} or {'conflict', id, version, …}; the event is appended only when applied.
 */
const LUA_WRITE_REGISTRY = `
local conflicts = {}
for i = 5, #ARGV, 6 do
  local current = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0')
  if current ~= tonumber(ARGV[i + 1]) then
    conflicts[#conflicts + 1] = ARGV[i]
    conflicts[#conflicts + 1] = tostring(current)
  end
end
if #conflicts > 0 then
  table.insert(conflicts, 1, 'conflict')
  return conflicts
end
local historyMax = tonumber(ARGV[2])
for i = 5, #ARGV, 6 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 3])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  if ARGV[i + 4] ~= '' then
    local hist = ARGV[1] .. ARGV[i]
    redis.call('RPUSH', hist, ARGV[i + 4])
    redis.call('LTRIM', hist, -historyMax, -1)
  end
  if ARGV[i + 5] ~= '' then redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 5]) end
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'e', ARGV[3])
return {'applied'}
`;

/**
 * KEYS: blob, blobs:expiry, blobs:size, blobs:bytes.
 * ARGV: id, contentType, data, nowMs, retentionMs, quotaBytes, sweepLimit.
 * Returns {'ok'} or {'quota', bytesItWouldUse}.
 */
const LUA_PUT_BLOB = `
local nowMs, limit = ARGV[4], ARGV[7]
${LUA_RELEASE_EXPIRED_BLOBS}
local previous = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
local used = tonumber(redis.call('GET', KEYS[4]) or '0')
local size = string.len(ARGV[3])
local after = used - previous + size
if after > tonumber(ARGV[6]) then return {'quota', tostring(after)} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'ct', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('INCRBY', KEYS[4], size - previous)
redis.call('HSET', KEYS[3], ARGV[1], size)
redis.call('ZADD', KEYS[2], tonumber(ARGV[4]) + tonumber(ARGV[5]), ARGV[1])
return {'ok'}
`;

/** KEYS: (unused), blobs:expiry, blobs:size, blobs:bytes. ARGV: nowMs, limit. Returns how many were released. */
const LUA_SWEEP_BLOBS = `
local nowMs, limit = ARGV[1], ARGV[2]
${LUA_RELEASE_EXPIRED_BLOBS}
return #expired
`;

/**
 * KEYS: retention index zset (incidents:closed / alerts:recent), the matching open set.
 * ARGV: cutoff score, limit, record key prefix. Removes index entries with score <= cutoff and
 * deletes their records unless they are open again (records written before retention existed have
 * no TTL of their own). Returns {index entries removed, records forgotten}.
 */
/**
 * An alert write as a compare-and-set on the stored copy (issue 15: two nodes may write one alert —
 * a reading-driven update and an acknowledgement — and neither may undo the other). The caller read
 * the stored JSON, folded its copy into it (mergeAlertCopies) and writes the result only if the
 * stored JSON is still what it read.
 * KEYS: alert, alerts:open, alerts:recent, events, ackcmd:<commandId> (or any key when none).
 * ARGV: [1] expected JSON ('' = absent), [2] new JSON, [3] '1' open, [4] closed retention ms,
 * [5] alert id, [6] lastTs, [7] event JSON or '', [8] events maxlen, [9] command ttl ms, [10] '1' with a command.
 * Answers {1} when written, {0, current JSON or ''} when the stored copy changed meanwhile.
 */
const LUA_SAVE_ALERT = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[2], ARGV[5])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('SREM', KEYS[2], ARGV[5])
end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[5])
if ARGV[7] ~= '' then redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'e', ARGV[7]) end
if ARGV[10] == '1' then redis.call('SET', KEYS[5], ARGV[5], 'PX', ARGV[9]) end
return {1}
`;
/** Compare-and-set rounds of one alert write before it gives up (each lost round means another write landed). */
const SAVE_ALERT_ROUNDS = 8;

const LUA_TRIM_RETENTION_INDEX = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local forgotten = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  if redis.call('SISMEMBER', KEYS[2], id) == 0 then
    redis.call('DEL', ARGV[3] .. id)
    forgotten = forgotten + 1
  end
end
return {#ids, forgotten}
`;

type ScriptReply = [string, string?];
interface IncidentScripts {
  iocAppendReadings(readingsKey: string, batchKey: string, ...args: string[]): Promise<number>;
  iocAppendReadingGroups(...numKeysKeysAndArgs: (string | number)[]): Promise<number>;
  iocCreateIncident(...keysAndArgs: (string | number)[]): Promise<ScriptReply>;
  iocTransitionIncident(...keysAndArgs: (string | number)[]): Promise<ScriptReply>;
  iocPutBlob(...keysAndArgs: (string | Buffer)[]): Promise<ScriptReply>;
  iocSweepBlobs(...keysAndArgs: string[]): Promise<number>;
  iocTrimRetentionIndex(...keysAndArgs: string[]): Promise<[entries: number, forgotten: number]>;
  iocSaveAlert(...keysAndArgs: string[]): Promise<[1] | [0, string]>;
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

/** A LogEvent as the events stream stores it: without its id (the stream id), with the appending node. */
type EncodedLogEvent = Omit<LogEvent, 'id'> & { node?: string };

/** An events-stream entry as a LogEvent (the `node` tag is answered beside it, never inside it). */
function decodeEvent(id: string, json: string): { event: LogEvent; node: string } {
  const { node, ...event } = JSON.parse(json) as EncodedLogEvent;
  return { event: { ...event, id }, node: node ?? '' };
}

/** A stream entry's fields as XREAD answers them to `callBuffer`: bytes, not yet strings. */
type RawStreamEntry = [id: Buffer, fields: Buffer[]];
const NODE_FIELD = 0x6e; // 'n'

/** Whether a readings entry's `n` field (its appending node, written last by the append scripts) is `node`'s bytes. */
function isFromNode(rawFields: readonly Buffer[], node: Buffer): boolean {
  for (let i = rawFields.length - 2; i >= 0; i -= 2) {
    const name = rawFields[i]!;
    if (name.length === 1 && name[0] === NODE_FIELD) return rawFields[i + 1]!.equals(node);
  }
  return false;
}

function decodeReading(fields: Map<string, string>): Reading {
  return {
    deviceId: fields.get('d') ?? '',
    ts: Number(fields.get('t')),
    seq: Number(fields.get('s')),
    metrics: JSON.parse(fields.get('m') ?? '{}') as Record<string, number>,
  };
}

/** Redis pipelines/transactions report per-command errors in their result; surface the first. */
function throwOnExecErrors(results: [Error | null, unknown][] | null, what: string): void {
  if (results === null) throw new Error(`${what}: transaction aborted`);
  for (const [err] of results) if (err) throw err;
}

/** Redis replies that mean "not serving right now", not "your command is wrong". */
const UNAVAILABLE_REPLY = /\b(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|READONLY)\b/;
/** Client-side failures of ioredis and the socket below it. */
const UNAVAILABLE_MESSAGE =
  /Command timed out|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTCONN|connect ETIMEDOUT/;

/** Does `err` mean Redis could not answer (so the call may succeed later), rather than a bug? */
export function isRedisUnavailableError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_MESSAGE.test(code)) return true;
  if (err.name === 'ReplyError') {
    const previous = (err as { previousErrors?: Error[] }).previousErrors ?? [];
    return UNAVAILABLE_REPLY.test(err.message) || previous.some((e) => UNAVAILABLE_REPLY.test(e.message));
  }
  return UNAVAILABLE_MESSAGE.test(err.message);
}

interface RegistryScripts {
  iocWriteRegistry(...args: (string | number)[]): Promise<unknown>;
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  /**
   * The ioredis client, for parts that keep their own key families beside the store (the audit
   * chain, sessions, login throttles) under the same connection and deadlines. Key names:
   * `keyPrefix` (the store's `prefix`) plus their own suffix.
   */
  get redisClient(): Redis {
    return this.client;
  }
  get keyPrefix(): string {
    return this.options.prefix;
  }
  get nodeId(): string {
    return this.options.nodeId;
  }
  private readonly scripts: IncidentScripts;
  private readonly deviceCommands: RedisDeviceCommands;
  private readonly options: StoreOptions;
  private readonly config: Required<Omit<RedisStoreConfig, 'logger'>>;
  private readonly logger: RedisStoreConfig['logger'];
  private outageReported = false;
  /** set once the client was ready: from then on a call fails fast while it is not */
  private everReady = false;
  /** resolves on the client's first 'ready' (see whenReady) */
  private firstReady: Promise<void> | null = null;
  private closing = false;
  /** the connection of blocking log reads (tailLog), opened on first use */
  private tailClient: Redis | null = null;
  /** small appends (MQTT: one reading per message) share script calls (redis-append-group.ts) */
  private readonly appendGroup = new GroupCommit<EncodedBatch>({
    write: (batches) => this.appendBatches(batches),
    weight: (b) => b.readings,
    maxWeight: APPEND_CHUNK_SIZE,
  });

  /**
   * @param client an ioredis client (the store takes ownership: close() quits it) or a URL,
   *   in which case a client with REDIS_CLIENT_OPTIONS (and `config.commandTimeoutMs`) is created
   */
  constructor(client: Redis | string, options: Partial<StoreOptions> = {}, config: RedisStoreConfig = {}) {
    const { logger, ...tuning } = config;
    this.config = { ...DEFAULT_REDIS_STORE_CONFIG, ...tuning };
    this.client = typeof client === 'string' ? new Redis(client, redisClientOptions(this.config.commandTimeoutMs)) : client;
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
    this.logger = logger;
    this.everReady = this.client.status === 'ready';
    this.client.on('error', this.onClientError);
    this.client.on('ready', this.onClientReady);
    this.client.defineCommand('iocAppendReadings', { numberOfKeys: 2, lua: LUA_APPEND_READINGS });
    this.client.defineCommand('iocAppendReadingGroups', { lua: LUA_APPEND_READING_GROUPS });
    this.client.defineCommand('iocCreateIncident', { numberOfKeys: 5, lua: LUA_CREATE_INCIDENT });
    this.client.defineCommand('iocTransitionIncident', { numberOfKeys: 5, lua: LUA_TRANSITION_INCIDENT });
    this.client.defineCommand('iocWriteRegistry', { numberOfKeys: 4, lua: LUA_WRITE_REGISTRY });
    this.client.defineCommand('iocPutBlob', { numberOfKeys: 4, lua: LUA_PUT_BLOB });
    this.client.defineCommand('iocSweepBlobs', { numberOfKeys: 4, lua: LUA_SWEEP_BLOBS });
    this.client.defineCommand('iocTrimRetentionIndex', { numberOfKeys: 2, lua: LUA_TRIM_RETENTION_INDEX });
    this.client.defineCommand('iocSaveAlert', { numberOfKeys: 5, lua: LUA_SAVE_ALERT });
    this.scripts = this.client as unknown as IncidentScripts;
    this.deviceCommands = new RedisDeviceCommands({
      client: this.client,
      key: (suffix) => this.key(suffix),
      options: this.options,
      encode: encodeStoredJson,
      encodeEvent: (event) => this.encodeEvent(event),
    });
  }

  // --- telemetry -------------------------------------------------------------------------

  async appendReadings(readings: readonly Reading[], batchId?: string): Promise<void> {
    if (readings.length === 0) return;
    if (readings.length <= GROUPED_BATCH_MAX_READINGS) {
      const batchKey = this.key(batchId === undefined ? 'batch:' : `batch:${batchChunkId(batchId, 0)}`);
      return this.appendGroup.submit(encodeBatch(readings, batchKey, batchId !== undefined, encodeStoredJson));
    }
    await this.call('appendReadings', async () => {
      const key = this.key('readings');
      const maxLen = String(this.options.readingsStreamMaxLen);
      const batchTtl = batchId === undefined ? '' : String(this.options.batchIdTtlMs);
      const calls: Promise<number>[] = [];
      for (let start = 0, chunk = 0; start < readings.length; start += APPEND_CHUNK_SIZE, chunk++) {
        const batchKey = this.key(batchId === undefined ? 'batch:' : `batch:${batchChunkId(batchId, chunk)}`);
        const args: string[] = [maxLen, batchTtl, this.options.nodeId];
        const end = Math.min(readings.length, start + APPEND_CHUNK_SIZE);
        for (let i = start; i < end; i++) {
          const r = readings[i]!;
          args.push(r.deviceId, String(r.ts), String(r.seq), encodeStoredJson(r.metrics));
        }
        calls.push(this.scripts.iocAppendReadings(key, batchKey, ...args));
      }
      await Promise.all(calls);
    });
  }

  /** One script call for a group of small batches (each de-duplicated by its own marker). */
  private async appendBatches(batches: readonly EncodedBatch[]): Promise<void> {
    await this.call('appendReadings', async () => {
      const args = groupCallArgs(this.key('readings'), this.options.readingsStreamMaxLen, this.options.batchIdTtlMs, this.options.nodeId, batches);
      await this.scripts.iocAppendReadingGroups(...args);
    });
  }

  async readingsCursor(): Promise<ReadingsCursor> {
    return this.call('readingsCursor', async () => {
      const newest = (await this.client.xrevrange(this.key('readings'), '+', '-', 'COUNT', 1)) as StreamEntry[];
      return newest.length === 0 ? EMPTY_READINGS_CURSOR : newest[0][0];
    });
  }

  async readReadingsAfter(cursor: ReadingsCursor, limit: number): Promise<{ readings: Reading[]; cursor: ReadingsCursor }> {
    if (limit <= 0) return { readings: [], cursor };
    return this.call('readReadingsAfter', async () => {
      const page = (await this.client.xrange(this.key('readings'), `(${cursor}`, '+', 'COUNT', limit)) as StreamEntry[];
      const readings: Reading[] = [];
      for (const [, fields] of page) readings.push(decodeReading(fieldsToMap(fields)));
      return { readings, cursor: page.length === 0 ? cursor : page[page.length - 1][0] };
    });
  }

  async readReadings(deviceIds: readonly string[], fromTs: number, toTs: number, limit: number): Promise<Reading[]> {
    if (deviceIds.length === 0 || limit <= 0 || toTs < fromTs) return [];
    const wanted = new Set(deviceIds);
    return this.call('readReadings', () =>
      this.scanStreamByTs(this.key('readings'), fromTs, toTs, limit, (_id, fields) => {
        const deviceId = fields.get('d');
        if (deviceId === undefined || !wanted.has(deviceId)) return null;
        return decodeReading(fields);
      }),
    );
  }

  async saveDeviceStates(states: readonly DeviceState[], cursor?: ReadingsCursor): Promise<void> {
    if (states.length === 0 && cursor === undefined) return;
    await this.call('saveDeviceStates', async () => {
      const flat: string[] = [];
      for (const s of states) flat.push(s.deviceId, encodeStoredJson(s));
      if (cursor === undefined) {
        await this.client.hset(this.key('devstate'), ...flat);
        return;
      }
      const tx = this.client.multi();
      if (flat.length > 0) tx.hset(this.key('devstate'), ...flat);
      tx.set(this.key('devstate:cursor'), cursor);
      throwOnExecErrors(await tx.exec(), 'saveDeviceStates');
    });
  }

  async loadDeviceStates(): Promise<DeviceState[]> {
    return this.call('loadDeviceStates', async () => {
      const all = await this.client.hgetall(this.key('devstate'));
      return Object.values(all).map((json) => JSON.parse(json) as DeviceState);
    });
  }

  async deviceStatesCursor(): Promise<ReadingsCursor | null> {
    return this.call('deviceStatesCursor', () => this.client.get(this.key('devstate:cursor')));
  }

  // --- alerts ----------------------------------------------------------------------------

  async saveAlert(alert: Alert, event?: Omit<LogEvent, 'id'>, commandId?: string): Promise<void> {
    await this.call('saveAlert', async () => {
      const alertKey = this.key(`alert:${alert.id}`);
      let stored = (await this.client.get(alertKey)) ?? '';
      for (let round = 0; round < SAVE_ALERT_ROUNDS; round++) {
        // fold this write into the stored copy: an ack or incident link written by another node stays
        const merged = stored === '' ? alert : mergeAlertCopies(JSON.parse(stored) as Alert, alert);
        const loggedEvent = event ? (event.alert ? { ...event, alert: merged } : event) : undefined;
        const reply = await this.scripts.iocSaveAlert(
          alertKey,
          this.key('alerts:open'),
          this.key('alerts:recent'),
          this.key('events'),
          this.key(`ackcmd:${commandId ?? ''}`),
          stored,
          encodeStoredJson(merged),
          isAlertOpen(merged) ? '1' : '0',
          String(this.options.closedRetentionMs),
          alert.id,
          String(merged.lastTs),
          loggedEvent ? this.encodeEvent(loggedEvent) : '',
          String(this.options.eventsStreamMaxLen),
          String(this.options.commandTtlMs),
          commandId !== undefined ? '1' : '0',
        );
        if (reply[0] === 1) return;
        stored = reply[1];
      }
      throw new Error(`saveAlert: alert ${alert.id} kept changing (${SAVE_ALERT_ROUNDS} rounds)`);
    });
  }

  async alertForCommand(commandId: string): Promise<string | null> {
    return this.call('alertForCommand', () => this.client.get(this.key(`ackcmd:${commandId}`)));
  }

  async loadAlerts(sinceTs: number): Promise<Alert[]> {
    return this.call('loadAlerts', async () => {
      const [open, recent] = await Promise.all([
        this.client.smembers(this.key('alerts:open')),
        this.client.zrangebyscore(this.key('alerts:recent'), `(${sinceTs}`, '+inf'),
      ]);
      const ids = [...new Set([...open, ...recent])];
      return this.mgetJson<Alert>(ids.map((id) => this.key(`alert:${id}`)));
    });
  }

  // --- incidents -------------------------------------------------------------------------

  async createIncident(incident: Incident, commandId: string): Promise<CreateOutcome> {
    return this.call('createIncident', async () => {
      const [status, json] = await this.scripts.iocCreateIncident(...this.incidentScriptKeysAndArgs(incident, commandId, 'incident.created'));
      if (status === 'duplicate' && json !== undefined) return { status, incident: JSON.parse(json) as Incident };
      return { status: 'applied', incident: wellFormedCopy(incident) };
    });
  }

  async incidentForCommand(commandId: string): Promise<string | null> {
    return this.call('incidentForCommand', () => this.client.get(this.key(`cmd:${commandId}`)));
  }

  async getIncident(id: string): Promise<Incident | null> {
    return this.call('getIncident', async () => {
      const json = await this.client.get(this.key(`incident:${id}`));
      return json === null ? null : (JSON.parse(json) as Incident);
    });
  }

  async loadIncidents(sinceTs: number): Promise<Incident[]> {
    return this.call('loadIncidents', async () => {
      const [open, closed] = await Promise.all([
        this.client.smembers(this.key('incidents:open')),
        this.client.zrangebyscore(this.key('incidents:closed'), `(${sinceTs}`, '+inf'),
      ]);
      const ids = [...new Set([...open, ...closed])];
      return this.mgetJson<Incident>(ids.map((id) => this.key(`incident:${id}`)));
    });
  }

  async transitionIncident(next: Incident, expectedVersion: number, commandId: string): Promise<TransitionOutcome> {
    assertNextVersion(next, expectedVersion);
    const [status, json] = await this.call('transitionIncident', () =>
      this.scripts.iocTransitionIncident(...this.incidentScriptKeysAndArgs(next, commandId, 'incident.transition'), String(expectedVersion)),
    );
    switch (status) {
      case 'applied':
        return { status, incident: wellFormedCopy(next) };
      case 'duplicate':
        return { status, incident: JSON.parse(json ?? 'null') as Incident };
      case 'conflict':
        return { status, current: JSON.parse(json ?? 'null') as Incident };
      case 'not_found':
        return { status };
      case 'corrupt':
        throw new Error(`transitionIncident: incident ${next.id} is stored without a readable version`);
      default:
        throw new Error(`transitionIncident: unexpected script reply '${status}'`);
    }
  }

  // --- commands --------------------------------------------------------------------------

  /** @deprecated see Store.claimCommand */
  async claimCommand(commandId: string, ttlMs: number): Promise<boolean> {
    return this.call('claimCommand', async () => {
      const reply = await this.client.set(this.key(`claim:${commandId}`), '1', 'PX', ttlMs, 'NX');
      return reply === 'OK';
    });
  }

  // --- commands to devices (redis-device-commands.ts) --------------------------------------

  async createDeviceCommand(record: DeviceCommandRecord, event?: Omit<LogEvent, 'id'>): Promise<DeviceCommandCreateOutcome> {
    return this.call('createDeviceCommand', () => this.deviceCommands.create(record, event));
  }

  async updateDeviceCommand(
    record: DeviceCommandRecord,
    expected: DeviceCommandStatus = 'sent',
    event?: Omit<LogEvent, 'id'>,
  ): Promise<DeviceCommandUpdateOutcome> {
    return this.call('updateDeviceCommand', () => this.deviceCommands.update(record, expected, event));
  }

  async getDeviceCommand(commandId: string): Promise<DeviceCommandRecord | null> {
    return this.call('getDeviceCommand', () => this.deviceCommands.get(commandId));
  }

  async listDeviceCommands(deviceId: string, limit: number): Promise<DeviceCommandRecord[]> {
    return this.call('listDeviceCommands', () => this.deviceCommands.list(deviceId, limit));
  }

  async pendingDeviceCommands(limit: number): Promise<DeviceCommandRecord[]> {
    return this.call('pendingDeviceCommands', () => this.deviceCommands.pending(limit));
  }

  // --- event log -------------------------------------------------------------------------

  async appendEvent(event: Omit<LogEvent, 'id'>): Promise<string> {
    return this.call('appendEvent', async () => {
      const id = await this.client.xadd(
        this.key('events'),
        'MAXLEN',
        '~',
        String(this.options.eventsStreamMaxLen),
        '*',
        'e',
        this.encodeEvent(event),
      );
      if (id === null) throw new Error('appendEvent: XADD returned no id');
      return id;
    });
  }

  async readEvents(fromTs: number, toTs: number, limit: number): Promise<LogEvent[]> {
    if (limit <= 0 || toTs < fromTs) return [];
    return this.call('readEvents', () =>
      this.scanStreamByTs(this.key('events'), fromTs, toTs, limit, (id, fields) => {
        const json = fields.get('e');
        if (json === undefined) return null;
        const { event } = decodeEvent(id, json);
        // registry.changed events are cluster plumbing, not history (see Store.readEvents)
        return isRegistryChangedEvent(event) ? null : event;
      }),
    );
  }

  // --- shared log tail -------------------------------------------------------------------

  async logCursor(): Promise<LogCursor> {
    return this.call('logCursor', async () => {
      const results = await this.client
        .pipeline()
        .xrevrange(this.key('readings'), '+', '-', 'COUNT', 1)
        .xrevrange(this.key('events'), '+', '-', 'COUNT', 1)
        .exec();
      throwOnExecErrors(results, 'logCursor');
      const newest = (i: number): string => {
        const page = results![i]![1] as StreamEntry[];
        return page.length === 0 ? EMPTY_READINGS_CURSOR : page[0][0];
      };
      return { readings: newest(0), events: newest(1) };
    });
  }

  async tailLog(cursor: LogCursor, blockMs: number, limit: number, skipNode?: string): Promise<LogTail> {
    if (limit <= 0) return { readings: [], events: [], cursor };
    return this.call('tailLog', async () => {
      const readingsKey = this.key('readings');
      const eventsKey = this.key('events');
      // BLOCK 0 would wait forever: no wait asked for, no BLOCK sent
      const block = Math.floor(blockMs) > 0 ? ['BLOCK', String(Math.floor(blockMs))] : [];
      // the cursors' own entries are looked up in the same round trip, right after XREAD answers
      const checks = (
        [
          [readingsKey, cursor.readings],
          [eventsKey, cursor.events],
        ] as const
      ).filter(([, c]) => c !== EMPTY_READINGS_CURSOR);
      const { reply, cursorEntryGone } = await this.blockingRead(
        [...block, 'COUNT', String(limit), 'STREAMS', readingsKey, eventsKey, cursor.readings, cursor.events],
        blockMs,
        checks,
      );
      const tail: LogTail = { readings: [], events: [], cursor: { ...cursor } };
      /** one hole check per stream that answered entries (only an empty cursor needs a round trip of its own) */
      const holes: (boolean | Promise<boolean>)[] = [];
      const hole = (key: string): boolean | Promise<boolean> => cursorEntryGone.get(key) ?? this.emptyCursorGap(key);
      const skip = skipNode === undefined ? null : Buffer.from(skipNode);
      for (const [keyBytes, entries] of reply ?? []) {
        if (entries.length === 0) continue;
        const key = keyBytes.toString();
        const last = entries[entries.length - 1][0].toString();
        if (key === readingsKey) {
          tail.readingsScanned = entries.length;
          for (const [, rawFields] of entries) {
            // the follower's own readings (most of the stream on a lone node) are not even made strings
            if (skip !== null && isFromNode(rawFields, skip)) continue;
            const fields = fieldsToMap(rawFields.map(String));
            tail.readings.push({ reading: decodeReading(fields), node: fields.get('n') ?? '' });
          }
          holes.push(hole(key));
          tail.cursor.readings = last;
        } else if (key === eventsKey) {
          for (const [id, rawFields] of entries) {
            const json = fieldsToMap(rawFields.map(String)).get('e');
            if (json !== undefined) tail.events.push(decodeEvent(id.toString(), json));
          }
          holes.push(hole(key));
          tail.cursor.events = last;
        }
      }
      if ((await Promise.all(holes)).some(Boolean)) tail.gap = true;
      return tail;
    });
  }

  // --- people ----------------------------------------------------------------------------

  async getUser(username: string): Promise<StoredUser | null> {
    return this.call('getUser', async () => {
      const json = await this.client.get(this.key(`user:${username}`));
      return json === null ? null : (JSON.parse(json) as StoredUser);
    });
  }

  async putUser(user: StoredUser): Promise<void> {
    await this.call('putUser', async () => {
      const tx = this.client.multi();
      tx.set(this.key(`user:${user.username}`), encodeStoredJson(user));
      tx.sadd(this.key('users'), user.username);
      throwOnExecErrors(await tx.exec(), 'putUser');
    });
  }

  async listUsers(): Promise<StoredUser[]> {
    return this.call('listUsers', async () => {
      const names = (await this.client.smembers(this.key('users'))).sort((a, b) => a.localeCompare(b));
      return this.mgetJson<StoredUser>(names.map((n) => this.key(`user:${n}`)));
    });
  }

  async deleteUser(username: string): Promise<boolean> {
    return this.call('deleteUser', async () => {
      const tx = this.client.multi();
      tx.del(this.key(`user:${username}`));
      tx.srem(this.key('users'), username);
      const results = await tx.exec();
      throwOnExecErrors(results, 'deleteUser');
      return Number(results?.[0]?.[1] ?? 0) > 0;
    });
  }

  // --- blobs -----------------------------------------------------------------------------

  async putBlob(id: string, contentType: string, data: Buffer): Promise<void> {
    const [status, detail] = await this.call('putBlob', () =>
      this.scripts.iocPutBlob(
        ...this.blobKeys(id),
        id,
        contentType,
        data,
        String(Date.now()),
        String(this.options.blobRetentionMs),
        String(this.options.maxBlobBytesTotal),
        String(HOUSEKEEP_CHUNK_SIZE),
      ),
    );
    if (status === 'quota') throw new StoreQuotaError(`blob quota exceeded: ${detail} of ${this.options.maxBlobBytesTotal} bytes`);
  }

  async getBlob(id: string): Promise<{ contentType: string; data: Buffer } | null> {
    return this.call('getBlob', async () => {
      const [ct, data] = await this.client.hmgetBuffer(this.key(`blob:${id}`), 'ct', 'd');
      if (ct === null || data === null) return null;
      return { contentType: ct.toString('utf8'), data };
    });
  }

  // --- registry --------------------------------------------------------------------------

  async listRegistry<T extends RegistryRecord>(collection: RegistryCollection): Promise<T[]> {
    return this.call('listRegistry', () => this.scanHashValues<T>(this.key(`reg:${collection}`)));
  }

  async getRegistry<T extends RegistryRecord>(collection: RegistryCollection, id: string): Promise<T | null> {
    return this.call('getRegistry', async () => {
      const json = await this.client.hget(this.key(`reg:${collection}`), id);
      return json === null ? null : (JSON.parse(json) as T);
    });
  }

  async writeRegistry(collection: RegistryCollection, writes: readonly RegistryWrite[]): Promise<RegistryWriteOutcome> {
    if (writes.length === 0) return { status: 'applied' };
    // appended by the script with the writes (issue 15): a follower that sees it reads them
    const event = this.encodeEvent(registryChangedEvent(collection, writes, this.options.registryEventMaxIds, Date.now()));
    const args: (string | number)[] = [
      this.key(`reg:${collection}:hist:`),
      this.options.registryHistoryPerRecord,
      event,
      this.options.eventsStreamMaxLen,
    ];
    for (const w of writes) {
      args.push(
        w.record.id,
        w.expectedVersion,
        w.record.version,
        encodeStoredJson(w.record),
        w.change ? encodeStoredJson(w.change) : '',
        w.credential ? encodeStoredJson(w.credential) : '',
      );
    }
    return this.call('writeRegistry', async () => {
      const answer = (await (this.client as unknown as RegistryScripts).iocWriteRegistry(
        this.key(`reg:${collection}`),
        this.key(`reg:${collection}:ver`),
        this.key('reg:cred'),
        this.key('events'),
        ...args,
      )) as string[];
      if (answer[0] === 'applied') return { status: 'applied' };
      const conflicts: { id: string; currentVersion: number }[] = [];
      for (let i = 1; i < answer.length; i += 2) conflicts.push({ id: answer[i]!, currentVersion: Number(answer[i + 1]) });
      return { status: 'conflict', conflicts };
    });
  }

  async getRegistryRecords<T extends RegistryRecord>(collection: RegistryCollection, ids: readonly string[]): Promise<T[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    return this.call('getRegistryRecords', async () => {
      const values = await this.client.hmget(this.key(`reg:${collection}`), ...unique);
      return values.flatMap((json) => (json === null ? [] : [JSON.parse(json) as T]));
    });
  }

  async getDeviceCredentials(deviceIds: readonly string[]): Promise<StoredDeviceCredential[]> {
    const unique = [...new Set(deviceIds)];
    if (unique.length === 0) return [];
    return this.call('getDeviceCredentials', async () => {
      const values = await this.client.hmget(this.key('reg:cred'), ...unique);
      return values.flatMap((json) => (json === null ? [] : [JSON.parse(json) as StoredDeviceCredential]));
    });
  }

  async registryHistory(collection: RegistryCollection, id: string, limit: number): Promise<RegistryChange[]> {
    if (limit <= 0) return [];
    return this.call('registryHistory', async () => {
      const list = await this.client.lrange(this.key(`reg:${collection}:hist:${id}`), -limit, -1);
      return list.map((json) => JSON.parse(json) as RegistryChange);
    });
  }

  async listDeviceCredentials(): Promise<StoredDeviceCredential[]> {
    return this.call('listDeviceCredentials', () => this.scanHashValues<StoredDeviceCredential>(this.key('reg:cred')));
  }

  // --- retention -------------------------------------------------------------------------

  async housekeep(nowTs: number): Promise<{ removed: number }> {
    return this.call('housekeep', async () => {
      const cutoff = String(nowTs - this.options.closedRetentionMs);
      const limit = String(HOUSEKEEP_CHUNK_SIZE);
      let removed = 0;
      /** repeat one chunked step until it handled less than a full chunk; `removed` counts forgotten records */
      const drain = async (step: () => Promise<[entries: number, forgotten: number]>): Promise<void> => {
        for (;;) {
          const [entries, forgotten] = await step();
          removed += forgotten;
          if (entries < HOUSEKEEP_CHUNK_SIZE) return;
        }
      };
      const trim = (index: string, openSet: string, recordPrefix: string) => (): Promise<[number, number]> =>
        this.scripts.iocTrimRetentionIndex(this.key(index), this.key(openSet), cutoff, limit, this.key(recordPrefix));
      await drain(trim('incidents:closed', 'incidents:open', 'incident:'));
      await drain(trim('alerts:recent', 'alerts:open', 'alert:'));
      await drain(async () => {
        const released = await this.scripts.iocSweepBlobs(...this.blobKeys(''), String(nowTs), limit);
        return [released, released];
      });
      return { removed };
    });
  }

  async ping(): Promise<boolean> {
    if (this.client.status === 'end') return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.pingTimeoutMs);
    });
    try {
      return await Promise.race([this.whenReady().then(async () => (await this.client.ping()) === 'PONG'), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    // a blocked XREAD on it answers at once (rejected): a follower's stop is never held by it
    this.dropTailClient();
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

  /**
   * Every value of a hash, parsed as JSON, read in HSCAN pages of about REGISTRY_SCAN_COUNT fields
   * (each page its own short command, within the command deadline). HSCAN may answer a field more
   * than once (the hash rehashing between pages): values are kept by field, so each counts once.
   */
  private async scanHashValues<T>(key: string): Promise<T[]> {
    const byField = new Map<string, T>();
    let cursor = '0';
    do {
      const [next, flat] = await this.client.hscan(key, cursor, 'COUNT', REGISTRY_SCAN_COUNT);
      for (let i = 0; i + 1 < flat.length; i += 2) byField.set(flat[i]!, JSON.parse(flat[i + 1]!) as T);
      cursor = next;
    } while (cursor !== '0');
    return [...byField.values()];
  }

  private blobKeys(id: string): [string, string, string, string] {
    return [this.key(`blob:${id}`), this.key('blobs:expiry'), this.key('blobs:size'), this.key('blobs:bytes')];
  }

  /**
   * Run one store call: before the client's first connection wait for it (bounded by the command
   * deadline), and turn "Redis cannot answer" failures into StoreUnavailableError.
   */
  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      await this.whenReady();
      return await run();
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      if (isRedisUnavailableError(err)) {
        throw new StoreUnavailableError(`redis store: ${what} failed: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
  }

  /** Resolves when the client may take commands: at once after the first connection (later outages fail fast). */
  private whenReady(): Promise<void> {
    if (this.everReady || this.client.status === 'ready') return Promise.resolve();
    if (this.closing || this.client.status === 'end') {
      return Promise.reject(new StoreUnavailableError('redis store: the client is closed'));
    }
    // one listener however many calls wait; each call has its own deadline
    this.firstReady ??= new Promise<void>((resolve) => this.client.once('ready', () => resolve()));
    const firstReady = this.firstReady;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreUnavailableError(`redis store: not connected within ${this.config.commandTimeoutMs} ms`)),
        this.config.commandTimeoutMs,
      );
      void firstReady.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private encodeEvent(event: Omit<LogEvent, 'id'>): string {
    // the id is the stream id; never store a caller-supplied one
    const { id: _ignored, ...rest } = event as Omit<LogEvent, 'id'> & { id?: string };
    const encoded: EncodedLogEvent = { ...rest, node: this.options.nodeId };
    return encodeStoredJson(encoded);
  }

  /**
   * The connection of `tailLog` (see the module comment), opened on first use and waited for up to
   * `commandTimeoutMs` (it has no offline queue either). No `commandTimeout` of its own: the
   * deadline of each blocking read is set by `blockingRead`.
   */
  private async tailConnection(): Promise<Redis> {
    if (this.closing) throw new StoreUnavailableError('redis store: the client is closed');
    let tail = this.tailClient;
    if (tail === null) {
      tail = this.client.duplicate({ commandTimeout: undefined });
      // errors reach the caller through the rejected read; the main client reports outages
      tail.on('error', () => undefined);
      // a main client built with lazyConnect passes it on: this one is wanted now
      if (tail.status === 'wait') tail.connect().catch(() => undefined);
      this.tailClient = tail;
    }
    if (tail.status === 'ready') return tail;
    const ready = tail;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        clearTimeout(timer);
        ready.off('ready', onReady);
        ready.off('end', onEnd);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => settle();
      // dropped (close, an overrun read): no 'ready' will come
      const onEnd = (): void => settle(new StoreUnavailableError('redis store: the tail connection was closed'));
      const timer = setTimeout(
        () => settle(new StoreUnavailableError(`redis store: tail connection not ready within ${this.config.commandTimeoutMs} ms`)),
        this.config.commandTimeoutMs,
      );
      ready.once('ready', onReady);
      ready.once('end', onEnd);
    });
    return ready;
  }

  /**
   * XREAD on the tail connection with a deadline of the block time plus the command deadline,
   * pipelined with `XRANGE key cursor cursor` for each of `cursorChecks`: Redis runs those after
   * the blocked XREAD answered, so `cursorEntryGone` tells, in the same round trip, whether the
   * cursor's own entry is gone (may entries after it have been trimmed? see `emptyCursorGap`).
   */
  private async blockingRead(
    args: string[],
    blockMs: number,
    cursorChecks: (readonly [key: string, cursor: string])[],
  ): Promise<{ reply: [key: Buffer, entries: RawStreamEntry[]][] | null; cursorEntryGone: Map<string, boolean> }> {
    const tail = await this.tailConnection();
    const deadlineMs = Math.max(0, blockMs) + this.config.commandTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        // the reply may still come: on this connection it would answer the next read, so drop it
        if (this.tailClient === tail) this.dropTailClient();
        reject(new StoreUnavailableError(`redis store: XREAD did not answer within ${deadlineMs} ms`));
      }, deadlineMs);
    });
    try {
      // bytes: a lone node's tail is mostly its own readings, skipped without decoding them to strings
      const pipeline = tail.pipeline().callBuffer('XREAD', ...args);
      for (const [key, cursor] of cursorChecks) pipeline.xrange(key, cursor, cursor);
      const results = await Promise.race([pipeline.exec(), overrun]);
      throwOnExecErrors(results, 'XREAD');
      const cursorEntryGone = new Map<string, boolean>();
      cursorChecks.forEach(([key], i) => cursorEntryGone.set(key, (results![i + 1]![1] as StreamEntry[]).length === 0));
      return { reply: results![0]![1] as [Buffer, RawStreamEntry[]][] | null, cursorEntryGone };
    } finally {
      clearTimeout(timer);
    }
  }

  private dropTailClient(): void {
    const tail = this.tailClient;
    this.tailClient = null;
    tail?.disconnect();
  }

  /**
   * Were entries after `cursor` trimmed before XREAD answered? Trimming (MAXLEN) removes the oldest
   * entries only, so while the cursor's own entry is still in the stream nothing after it can be
   * gone: `blockingRead` looks that entry up right behind the XREAD (`cursorEntryGone`). A cursor
   * whose entry is gone reports a hole: either entries after it were trimmed too, or (the one case
   * this over-reports) the cursor's entry was the last one trimmed — a follower that far behind
   * re-syncs anyway. The empty cursor has no entry (this function, called only for a stream that
   * answered entries): a hole iff anything was ever trimmed (XINFO STREAM `entries-added` >
   * `length`). Over-reporting is safe (a re-sync); under-reporting never happens.
   */
  private async emptyCursorGap(key: string): Promise<boolean> {
    const info = (await this.client.call('XINFO', 'STREAM', key)) as unknown[];
    const field = (name: string): number => Number(info[info.indexOf(name) + 1]);
    return field('entries-added') > field('length');
  }

  private incidentScriptKeysAndArgs(incident: Incident, commandId: string, eventType: 'incident.created' | 'incident.transition'): string[] {
    const isClosed = incident.state === 'closed';
    return [
      this.key(`cmd:${commandId}`),
      this.key(`incident:${incident.id}`),
      this.key('incidents:open'),
      this.key('incidents:closed'),
      this.key('events'),
      encodeStoredJson(incident),
      incident.id,
      String(this.options.commandTtlMs),
      this.encodeEvent(incidentEvent(incident, eventType)),
      String(this.options.eventsStreamMaxLen),
      isClosed ? '1' : '0',
      String(incident.closedTs ?? incident.updatedTs),
      this.key('incident:'),
      String(this.options.closedRetentionMs),
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
    this.everReady = true;
    this.outageReported = false;
  };
}

function sortByTs<T extends { ts: number }>(items: T[]): T[] {
  return items.sort((a, b) => a.ts - b.ts);
}
