/**
 * Scheduled reports in Redis (the ReportScheduleStore of report-schedule-store.ts), on the store's
 * client and prefix. Keys, all under `${prefix}:` and bounded by the schedules admins keep and the
 * run retention:
 * - `rsched:schedules`    hash id → JSON StoredReportSchedule
 * - `rsched:slots`        hash id → epoch ms of the newest claimed slot (advanced by a CAS script)
 * - `rsched:attempts`     hash id → JSON PendingSlotAttempt of that slot (set with the claim, CAS per try)
 * - `rsched:runs`         hash runId → JSON ReportRunMeta (written once per id by a CAS script: the delivered mark)
 * - `rsched:run-reports`  hash runId → JSON Report
 * - `rsched:reads`        hash `<runId>|<username>` → epoch ms read
 *
 * Only commands the app's ACL user already has (server/backup/redis-acl.ts): HGET HSET HDEL HGETALL
 * HMGET, and EVAL/EVALSHA running HGET/HSET/HDEL.
 */
import type { Redis } from 'ioredis';
import type { Report } from '../../scenes/reports/build-report';
import { defineScripts, RedisSideStore } from './redis-side-store';
import {
  type PendingSlotAttempt,
  type ReportRunMeta,
  type ReportRunRetention,
  type ReportScheduleStore,
  type SlotTryTimes,
  type StoredReportSchedule,
  runsToPrune,
  sortRunsNewestFirst,
} from './report-schedule-store';

/**
 * KEYS: slots, attempts; ARGV: id, slotTs, pending attempt JSON ('' = none) → 1 claimed, 0 an equal
 * or later slot was claimed before. The pending attempt is written in the same step as the claim.
 */
const LUA_CLAIM_SLOT = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev and tonumber(prev) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
return 1
`;

/**
 * KEYS: attempts; ARGV: id, slotTs, attempt, next JSON, nowTs → 1 claimed, 0 the pending attempt is
 * not (slotTs, attempt - 1), or its next try is not due (nextTryTs of report-schedule-store.ts: the
 * retry time, and not while the try may still run). JSON null is cjson.null, not nil.
 */
const LUA_CLAIM_RETRY = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if not prev then return 0 end
local p = cjson.decode(prev)
if tonumber(p.slotTs) ~= tonumber(ARGV[2]) or tonumber(p.attempt) ~= tonumber(ARGV[3]) - 1 then return 0 end
if p.retryTs == nil or p.retryTs == cjson.null then return 0 end
local due = tonumber(p.retryTs)
if p.runningUntilTs ~= nil and p.runningUntilTs ~= cjson.null and tonumber(p.runningUntilTs) > due then due = tonumber(p.runningUntilTs) end
if due > tonumber(ARGV[5]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1
`;

/** KEYS: attempts; ARGV: id, slotTs, attempt → the pending attempt, if it is (slotTs, attempt), no longer runs */
const LUA_END_TRY = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if not prev then return 0 end
local p = cjson.decode(prev)
if tonumber(p.slotTs) ~= tonumber(ARGV[2]) or tonumber(p.attempt) ~= tonumber(ARGV[3]) then return 0 end
p.runningUntilTs = cjson.null
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(p))
return 1
`;

/** KEYS: attempts; ARGV: id, slotTs → removes the pending attempt if it is that slot's */
const LUA_SETTLE_SLOT = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev and tonumber(cjson.decode(prev).slotTs) == tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`;

/**
 * KEYS: runs, run-reports; ARGV: run id, meta JSON, report JSON → 1 written (report first, in one
 * step), 0 a run with that id exists. A reply lost and the script replayed by ioredis answers 0: that
 * run is in the inbox but not announced (at most one announcement, never two).
 */
const LUA_SAVE_RUN_ONCE = `
if redis.call('HGET', KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: schedules; ARGV: id, json, mode ('create' | 'replace') → 1 written, 0 refused */
const LUA_PUT_SCHEDULE = `
local exists = redis.call('HGET', KEYS[1], ARGV[1])
if (ARGV[3] == 'create' and exists) or (ARGV[3] == 'replace' and not exists) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

interface ScheduleScripts {
  iocClaimReportSlot(...args: string[]): Promise<number>;
  iocClaimReportRetry(...args: string[]): Promise<number>;
  iocEndReportTry(...args: string[]): Promise<number>;
  iocSettleReportSlot(...args: string[]): Promise<number>;
  iocSaveReportRunOnce(...args: string[]): Promise<number>;
  iocPutReportSchedule(...args: string[]): Promise<number>;
}

export class RedisReportScheduleStore implements ReportScheduleStore {
  private readonly side: RedisSideStore;
  private readonly scripts: ScheduleScripts;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly retention: ReportRunRetention,
  ) {
    this.side = new RedisSideStore(client, 'redis report schedule store');
    this.scripts = defineScripts<ScheduleScripts>(client, {
      iocClaimReportSlot: { numberOfKeys: 2, lua: LUA_CLAIM_SLOT },
      iocClaimReportRetry: { numberOfKeys: 1, lua: LUA_CLAIM_RETRY },
      iocEndReportTry: { numberOfKeys: 1, lua: LUA_END_TRY },
      iocSettleReportSlot: { numberOfKeys: 1, lua: LUA_SETTLE_SLOT },
      iocSaveReportRunOnce: { numberOfKeys: 2, lua: LUA_SAVE_RUN_ONCE },
      iocPutReportSchedule: { numberOfKeys: 1, lua: LUA_PUT_SCHEDULE },
    });
  }

  private key(suffix: string): string {
    return `${this.prefix}:rsched:${suffix}`;
  }

  createSchedule(s: StoredReportSchedule): Promise<boolean> {
    return this.side.call(
      'createSchedule',
      async () => (await this.scripts.iocPutReportSchedule(this.key('schedules'), s.id, JSON.stringify(s), 'create')) === 1,
    );
  }

  replaceSchedule(s: StoredReportSchedule): Promise<boolean> {
    return this.side.call(
      'replaceSchedule',
      async () => (await this.scripts.iocPutReportSchedule(this.key('schedules'), s.id, JSON.stringify(s), 'replace')) === 1,
    );
  }

  deleteSchedule(id: string): Promise<boolean> {
    return this.side.call('deleteSchedule', async () => {
      const [removed] = await Promise.all([
        this.client.hdel(this.key('schedules'), id),
        this.client.hdel(this.key('slots'), id),
        this.client.hdel(this.key('attempts'), id),
      ]);
      return removed === 1;
    });
  }

  getSchedule(id: string): Promise<StoredReportSchedule | null> {
    return this.side.call('getSchedule', async () => {
      const json = await this.client.hget(this.key('schedules'), id);
      return json === null ? null : (JSON.parse(json) as StoredReportSchedule);
    });
  }

  listSchedules(): Promise<StoredReportSchedule[]> {
    return this.side.call('listSchedules', async () =>
      Object.values(await this.client.hgetall(this.key('schedules')))
        .map((json) => JSON.parse(json) as StoredReportSchedule)
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  }

  lastSlot(id: string): Promise<number | null> {
    return this.side.call('lastSlot', async () => {
      const v = await this.client.hget(this.key('slots'), id);
      return v === null ? null : Number(v);
    });
  }

  claimSlot(id: string, slotTs: number, times?: SlotTryTimes): Promise<boolean> {
    const pending = times === undefined ? '' : JSON.stringify({ slotTs, attempt: 1, ...times } satisfies PendingSlotAttempt);
    return this.side.call(
      'claimSlot',
      async () => (await this.scripts.iocClaimReportSlot(this.key('slots'), this.key('attempts'), id, String(slotTs), pending)) === 1,
    );
  }

  pendingAttempt(id: string): Promise<PendingSlotAttempt | null> {
    return this.side.call('pendingAttempt', async () => {
      const json = await this.client.hget(this.key('attempts'), id);
      return json === null ? null : (JSON.parse(json) as PendingSlotAttempt);
    });
  }

  claimRetry(id: string, slotTs: number, attempt: number, times: SlotTryTimes, nowTs: number): Promise<boolean> {
    const next = JSON.stringify({ slotTs, attempt, ...times } satisfies PendingSlotAttempt);
    return this.side.call(
      'claimRetry',
      async () => (await this.scripts.iocClaimReportRetry(this.key('attempts'), id, String(slotTs), String(attempt), next, String(nowTs))) === 1,
    );
  }

  endTry(id: string, slotTs: number, attempt: number): Promise<void> {
    return this.side.call('endTry', async () => {
      await this.scripts.iocEndReportTry(this.key('attempts'), id, String(slotTs), String(attempt));
    });
  }

  settleSlot(id: string, slotTs: number): Promise<void> {
    return this.side.call('settleSlot', async () => {
      await this.scripts.iocSettleReportSlot(this.key('attempts'), id, String(slotTs));
    });
  }

  saveRun(meta: ReportRunMeta, report: Report, nowTs: number): Promise<boolean> {
    return this.side.call('saveRun', async () => {
      // the report first: a listed run always has its report
      const written = await this.scripts.iocSaveReportRunOnce(
        this.key('runs'),
        this.key('run-reports'),
        meta.id,
        JSON.stringify(meta),
        JSON.stringify(report),
      );
      if (written !== 1) return false;
      const gone = runsToPrune(await this.readRuns(), this.retention, nowTs);
      if (gone.length === 0) return true;
      // metadata first: a run half pruned is no longer listed
      await this.client.hdel(this.key('runs'), ...gone.map((r) => r.id));
      await this.client.hdel(this.key('run-reports'), ...gone.map((r) => r.id));
      const reads = gone.flatMap((r) => r.recipients.map((u) => `${r.id}|${u}`));
      if (reads.length > 0) await this.client.hdel(this.key('reads'), ...reads);
      return true;
    });
  }

  listRuns(): Promise<ReportRunMeta[]> {
    return this.side.call('listRuns', async () => sortRunsNewestFirst(await this.readRuns()));
  }

  getRun(id: string): Promise<ReportRunMeta | null> {
    return this.side.call('getRun', async () => {
      const json = await this.client.hget(this.key('runs'), id);
      return json === null ? null : (JSON.parse(json) as ReportRunMeta);
    });
  }

  getRunReport(id: string): Promise<Report | null> {
    return this.side.call('getRunReport', async () => {
      const json = await this.client.hget(this.key('run-reports'), id);
      return json === null ? null : (JSON.parse(json) as Report);
    });
  }

  readRunIds(username: string, runIds: readonly string[]): Promise<Set<string>> {
    return this.side.call('readRunIds', async () => {
      if (runIds.length === 0) return new Set<string>();
      const marks = await this.client.hmget(this.key('reads'), ...runIds.map((id) => `${id}|${username}`));
      return new Set(runIds.filter((_, i) => marks[i] !== null));
    });
  }

  markRead(username: string, runId: string, ts: number): Promise<void> {
    return this.side.call('markRead', async () => {
      if ((await this.client.hget(this.key('runs'), runId)) === null) return;
      await this.client.hset(this.key('reads'), `${runId}|${username}`, String(ts));
    });
  }

  private async readRuns(): Promise<ReportRunMeta[]> {
    return Object.values(await this.client.hgetall(this.key('runs'))).map((json) => JSON.parse(json) as ReportRunMeta);
  }
}
