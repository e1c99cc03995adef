/**
 * Resource assignments in Redis (the ResourceAssignStore of resource-assign-store.ts), on the
 * store's client and prefix.
 *
 * Keys, all under `${prefix}:`:
 * - `resassign:totals`          hash resourceId → units assigned over all incidents
 * - `resassign:inc:<incident>`  hash resourceId → JSON ResourceAssignment
 * - `resassign:cmd:<incident>`  hash commandId → resourceId (replays answer `duplicate`)
 *
 * Assign is one script that checks the total against the limit and takes the units (two nodes
 * assigning the last team at once: exactly one wins); release and release-all are scripts too,
 * so totals and holdings never disagree. Only commands the app's ACL user has are used
 * (server/backup/redis-acl.ts: EVAL/EVALSHA running HGET HSET HDEL HGETALL; HGETALL directly).
 */
import type { Redis } from 'ioredis';
import { defineScripts, RedisSideStore } from './redis-side-store';
import type { AssignOutcome, AssignRequest, ReleaseOutcome, ResourceAssignment, ResourceAssignStore } from './resource-assign-store';

/** KEYS: totals, incident, commands; ARGV: resourceId, amount, limit, commandId, actor, ts, incidentId */
const LUA_ASSIGN = `
local seen = redis.call('HGET', KEYS[3], ARGV[4])
if seen then
  return {'duplicate', redis.call('HGET', KEYS[1], seen) or '0', redis.call('HGET', KEYS[2], seen) or ''}
end
local total = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local amount = tonumber(ARGV[2])
if total + amount > tonumber(ARGV[3]) then return {'insufficient', tostring(total)} end
local held = amount
local prev = redis.call('HGET', KEYS[2], ARGV[1])
if prev then held = held + cjson.decode(prev)['amount'] end
local json = cjson.encode({incidentId = ARGV[7], resourceId = ARGV[1], amount = held, assignedBy = ARGV[5], ts = tonumber(ARGV[6])})
redis.call('HSET', KEYS[2], ARGV[1], json)
redis.call('HSET', KEYS[1], ARGV[1], tostring(total + amount))
redis.call('HSET', KEYS[3], ARGV[4], ARGV[1])
return {'assigned', tostring(total + amount), json}
`;

/** shared by release and release-all: gives back what KEYS[2] holds of one resource */
const LUA_RELEASE_ONE = `
local function releaseOne(totals, incident, resourceId)
  local held = redis.call('HGET', incident, resourceId)
  if not held then return nil end
  redis.call('HDEL', incident, resourceId)
  local total = tonumber(redis.call('HGET', totals, resourceId) or '0') - cjson.decode(held)['amount']
  if total <= 0 then
    redis.call('HDEL', totals, resourceId)
    total = 0
  else
    redis.call('HSET', totals, resourceId, tostring(total))
  end
  return {held, tostring(total)}
end
`;

/** KEYS: totals, incident; ARGV: resourceId */
const LUA_RELEASE = `${LUA_RELEASE_ONE}
local r = releaseOne(KEYS[1], KEYS[2], ARGV[1])
if not r then return {'not_found'} end
return {'released', r[2], r[1]}
`;

/** KEYS: totals, incident → the released JSON assignments */
const LUA_RELEASE_ALL = `${LUA_RELEASE_ONE}
local out = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local r = releaseOne(KEYS[1], KEYS[2], all[i])
  if r then out[#out + 1] = r[1] end
end
return out
`;

interface AssignScripts {
  iocAssignResource(...args: string[]): Promise<string[]>;
  iocReleaseResource(...args: string[]): Promise<string[]>;
  iocReleaseIncidentResources(...args: string[]): Promise<string[]>;
}

const byResource = (a: ResourceAssignment, b: ResourceAssignment) => (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0);

export class RedisResourceAssignStore implements ResourceAssignStore {
  private readonly side: RedisSideStore;
  private readonly scripts: AssignScripts;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {
    this.side = new RedisSideStore(client, 'redis resource assignments');
    this.scripts = defineScripts<AssignScripts>(client, {
      iocAssignResource: { numberOfKeys: 3, lua: LUA_ASSIGN },
      iocReleaseResource: { numberOfKeys: 2, lua: LUA_RELEASE },
      iocReleaseIncidentResources: { numberOfKeys: 2, lua: LUA_RELEASE_ALL },
    });
  }

  private key(suffix: string): string {
    return `${this.prefix}:resassign:${suffix}`;
  }

  assign(req: AssignRequest): Promise<AssignOutcome> {
    return this.side.call('assign', async () => {
      const [status, total, json] = await this.scripts.iocAssignResource(
        this.key('totals'),
        this.key(`inc:${req.incidentId}`),
        this.key(`cmd:${req.incidentId}`),
        req.resourceId,
        String(req.amount),
        String(req.limit),
        req.commandId,
        req.actor,
        String(req.ts),
        req.incidentId,
      );
      const assignedTotal = Number(total);
      if (status === 'insufficient') return { status, assignedTotal };
      if (status === 'duplicate') return { status, assignment: json ? (JSON.parse(json) as ResourceAssignment) : null, assignedTotal };
      if (status !== 'assigned') throw new Error(`assign: unexpected script reply '${status}'`);
      return { status, assignment: JSON.parse(json!) as ResourceAssignment, assignedTotal };
    });
  }

  release(incidentId: string, resourceId: string): Promise<ReleaseOutcome> {
    return this.side.call('release', async () => {
      const [status, total, json] = await this.scripts.iocReleaseResource(this.key('totals'), this.key(`inc:${incidentId}`), resourceId);
      if (status === 'not_found') return { status };
      return { status: 'released', assignment: JSON.parse(json!) as ResourceAssignment, assignedTotal: Number(total) };
    });
  }

  releaseIncident(incidentId: string): Promise<ResourceAssignment[]> {
    return this.side.call('releaseIncident', async () => {
      const released = await this.scripts.iocReleaseIncidentResources(this.key('totals'), this.key(`inc:${incidentId}`));
      return released.map((j) => JSON.parse(j) as ResourceAssignment).sort(byResource);
    });
  }

  listForIncident(incidentId: string): Promise<ResourceAssignment[]> {
    return this.side.call('listForIncident', async () => {
      const all = await this.client.hgetall(this.key(`inc:${incidentId}`));
      return Object.values(all)
        .map((j) => JSON.parse(j) as ResourceAssignment)
        .sort(byResource);
    });
  }

  assignedTotals(): Promise<Map<string, number>> {
    return this.side.call('assignedTotals', async () => {
      const all = await this.client.hgetall(this.key('totals'));
      return new Map(Object.entries(all).map(([id, n]) => [id, Number(n)] as [string, number]));
    });
  }
}
