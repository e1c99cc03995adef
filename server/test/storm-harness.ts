/**
 * Shared by the issue-14 command tests: a CommandService over the memory store and over a real
 * Redis (a throwaway redis-server, a unique key prefix per harness), a recording notifier, a
 * collecting audit, a settable clock, handler accounts, and alerts made to order.
 */
import { randomUUID } from 'node:crypto';
import type { Alert, AlertLevel, DistrictCode, Incident, LngLat, Rule } from '../../scenes/domain';
import type { CommandResult } from '../../scenes/protocol';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import { generateFleet } from '../../scenes/fleet';
import { CommandService, type ChangeNotifier } from '../commands';
import { CollectingAudit } from '../audit/audit';
import { Fusion } from '../fusion';
import { createLogger } from '../logger';
import { MemoryStore } from '../store/memory-store';
import { RedisStore } from '../store/redis-store';
import type { Store } from '../store/store';
import type { Actor } from '../../scenes/incident-machine';

export const officer: Actor = { username: 'officer1', role: 'officer' };
export const leader: Actor = { username: 'leader1', role: 'leader' };
export const h1: Actor = { username: 'h1', role: 'handler' };
export const WATER_DEPTH_RULE: Rule = DEFAULT_RULES.find((r) => r.id === 'water.depth.threshold')!;

/** 市南区 points about 1 km apart (inside the 3 km waterlogging radius) and one in 崂山区 far away */
export const SHINAN_A: LngLat = [120.38, 36.07];
export const SHINAN_B: LngLat = [120.39, 36.075];
export const LAOSHAN_FAR: LngLat = [120.47, 36.1];

export interface StoreKind {
  name: 'memory' | 'redis';
  make(): Store;
}

/** The memory store, and Redis when a redis-server could be started (`redisUrl` null: skipped loudly by the caller). */
export function storeKinds(redisUrl: string | null): StoreKind[] {
  const prefix = `storm-${randomUUID().slice(0, 8)}`;
  let n = 0;
  return [
    { name: 'memory', make: () => new MemoryStore() },
    ...(redisUrl ? [{ name: 'redis' as const, make: () => new RedisStore(redisUrl, { prefix: `${prefix}-${++n}` }) }] : []),
  ];
}

export interface Told {
  incident: Incident;
  previousAssignees: readonly string[];
}

export interface StormHarness {
  store: Store;
  fusion: Fusion;
  commands: CommandService;
  audit: CollectingAudit;
  told: Told[];
  clock: { now: number };
  run(actor: Actor, body: Record<string, unknown>): Promise<CommandResult>;
  /** a command that must succeed: its incident */
  must(actor: Actor, body: Record<string, unknown>): Promise<Incident>;
  /** a manual incident by officer1 */
  createIncident(extra?: Record<string, unknown>): Promise<Incident>;
  /** an alert put into fusion and handled like the rule engine's change */
  raise(alert: Alert, change?: 'raised' | 'updated' | 'cleared'): Promise<Alert>;
  close(): Promise<void>;
}

let seq = 0;
export function nextCommandId(tag: string): string {
  // at least 8 characters (the command schema) whatever the pid: a clean CI machine has small pids
  return `${tag}-${process.pid}-${String(++seq).padStart(6, '0')}`;
}

export async function startStormHarness(store: Store, wrap: (s: Store) => Store = (s) => s): Promise<StormHarness> {
  const fusion = new Fusion(generateFleet({ count: 50 }));
  const audit = new CollectingAudit();
  const told: Told[] = [];
  const clock = { now: Date.now() };
  const notifier: ChangeNotifier = {
    alertChanged: () => undefined,
    incidentChanged: (incident, previousAssignees) => told.push({ incident, previousAssignees: [...previousAssignees] }),
  };
  for (const username of ['h1', 'h2']) {
    await store.putUser({
      username,
      displayName: username,
      role: 'handler',
      passwordHash: 'x',
      disabled: false,
      failedLogins: 0,
      lockedUntil: 0,
      createdTs: clock.now,
    });
  }
  const commands = new CommandService(wrap(store), fusion, notifier, createLogger('silent'), {
    commandTtlMs: 3600_000,
    commutativeRetries: 16,
    audit,
    now: () => clock.now,
  });
  const run = (actor: Actor, body: Record<string, unknown>) => commands.execute({ commandId: nextCommandId('c'), ...body }, actor);
  const must = async (actor: Actor, body: Record<string, unknown>) => {
    const r = await run(actor, body);
    if (!r.ok || !r.incident) throw new Error(`${String(body.type)} as ${actor.username} failed: ${JSON.stringify(r)}`);
    return r.incident;
  };
  return {
    store,
    fusion,
    commands,
    audit,
    told,
    clock,
    run,
    must,
    createIncident: (extra = {}) =>
      must(officer, {
        type: 'incident.create',
        title: '道路积水',
        category: 'waterlogging',
        scene: 'water',
        location: SHINAN_A,
        district: '370202',
        priority: 'P3',
        ...extra,
      }),
    async raise(alert, change = 'raised') {
      fusion.putAlert(alert);
      await commands.onAlertChange(alert, change, WATER_DEPTH_RULE);
      return fusion.getAlert(alert.id)!;
    },
    close: () => store.close(),
  };
}

/** A waterlogging depth alert of `level` at `location`, as the rule engine makes it. */
export function waterAlert(deviceId: string, level: AlertLevel, ts: number, location: LngLat = SHINAN_A, district: DistrictCode = '370202'): Alert {
  return {
    id: `${deviceId}|water.depth.threshold|${ts}`,
    deviceId,
    deviceKind: 'waterlogging',
    ruleId: 'water.depth.threshold',
    scene: 'water',
    district,
    location,
    level,
    peakLevel: level,
    cleared: false,
    acknowledged: false,
    firstTs: ts,
    lastTs: ts,
    count: 1,
    value: level === 'red' ? 45 : 30,
    metric: 'depth',
    title: '道路积水',
    titleEn: 'Road waterlogging',
  };
}
