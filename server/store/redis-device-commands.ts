/**
 * Commands to devices in Redis (issue 13), the part of RedisStore behind `createDeviceCommand`,
 * `updateDeviceCommand`, `getDeviceCommand`, `listDeviceCommands` and `pendingDeviceCommands`.
 *
 * Keys, all under `${prefix}:`:
 * - `devcmd:<commandId>`   JSON DeviceCommandRecord, PX `deviceCommandTtlMs` from its last write
 * - `devcmds:<deviceId>`   list of the device's command ids, oldest first, LTRIM to
 *                          `deviceCommandsPerDevice`, PX `deviceCommandTtlMs` from its last push
 * - `devcmds-pending`      zset commandId → deadline (ms) of the commands still `sent`
 * and the `events` stream (a `device.command` LogEvent appended in the same script).
 *
 * Both writes are one Lua script each: create-if-absent (SET only when GET finds nothing) and
 * compare-and-set on the stored `status`. Only commands the app's ACL user already has are used
 * (server/backup/redis-acl.ts: GET SET RPUSH LTRIM PEXPIRE ZADD ZREM ZRANGEBYSCORE LRANGE MGET XADD).
 */
import type { Redis } from 'ioredis';
import type { DeviceCommandRecord, DeviceCommandStatus } from '../../scenes/device-commands';
import type { LogEvent } from '../../scenes/protocol';
import type { DeviceCommandCreateOutcome, DeviceCommandUpdateOutcome, StoreOptions } from './store';

/**
 * KEYS: record, device index, pending zset, events stream
 * ARGV: recordJson, ttlMs, commandId, perDevice, isSent '1'|'0', deadline, eventJson ('' = none), eventsMaxLen
 */
const LUA_CREATE_DEVICE_COMMAND = `
local existing = redis.call('GET', KEYS[1])
if existing then return {'duplicate', existing} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if ARGV[5] == '1' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3]) end
if ARGV[7] ~= '' then redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'e', ARGV[7]) end
return {'created'}
`;

/**
 * KEYS: record, pending zset, events stream
 * ARGV: recordJson, ttlMs, commandId, expectedStatus, isSent '1'|'0', deadline, eventJson ('' = none), eventsMaxLen
 */
const LUA_UPDATE_DEVICE_COMMAND = `
local current = redis.call('GET', KEYS[1])
if not current then return {'not_found'} end
local decoded, stored = pcall(cjson.decode, current)
if not decoded or type(stored) ~= 'table' or stored['status'] ~= ARGV[4] then return {'conflict', current} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[5] == '1' then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[3]) else redis.call('ZREM', KEYS[2], ARGV[3]) end
if ARGV[7] ~= '' then redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'e', ARGV[7]) end
return {'applied'}
`;

interface DeviceCommandScripts {
  iocCreateDeviceCommand(...args: string[]): Promise<[string, string?]>;
  iocUpdateDeviceCommand(...args: string[]): Promise<[string, string?]>;
}

export interface RedisDeviceCommandsDeps {
  client: Redis;
  /** `${prefix}:${suffix}` */
  key: (suffix: string) => string;
  options: Pick<StoreOptions, 'deviceCommandTtlMs' | 'deviceCommandsPerDevice' | 'eventsStreamMaxLen'>;
  /** JSON for Redis (well-formed strings) */
  encode: (value: unknown) => string;
  encodeEvent: (event: Omit<LogEvent, 'id'>) => string;
}

export class RedisDeviceCommands {
  private readonly scripts: DeviceCommandScripts;

  constructor(private readonly d: RedisDeviceCommandsDeps) {
    d.client.defineCommand('iocCreateDeviceCommand', { numberOfKeys: 4, lua: LUA_CREATE_DEVICE_COMMAND });
    d.client.defineCommand('iocUpdateDeviceCommand', { numberOfKeys: 3, lua: LUA_UPDATE_DEVICE_COMMAND });
    this.scripts = d.client as unknown as DeviceCommandScripts;
  }

  async create(record: DeviceCommandRecord, event?: Omit<LogEvent, 'id'>): Promise<DeviceCommandCreateOutcome> {
    const { key, options } = this.d;
    const [status, json] = await this.scripts.iocCreateDeviceCommand(
      key(`devcmd:${record.commandId}`),
      key(`devcmds:${record.deviceId}`),
      key('devcmds-pending'),
      key('events'),
      this.d.encode(record),
      String(options.deviceCommandTtlMs),
      record.commandId,
      String(options.deviceCommandsPerDevice),
      record.status === 'sent' ? '1' : '0',
      String(record.deadline),
      event ? this.d.encodeEvent(event) : '',
      String(options.eventsStreamMaxLen),
    );
    if (status === 'duplicate') return { status, command: JSON.parse(json ?? 'null') as DeviceCommandRecord };
    return { status: 'created' };
  }

  async update(record: DeviceCommandRecord, expected: DeviceCommandStatus, event?: Omit<LogEvent, 'id'>): Promise<DeviceCommandUpdateOutcome> {
    const { key, options } = this.d;
    const encoded = this.d.encode(record);
    const [status, json] = await this.scripts.iocUpdateDeviceCommand(
      key(`devcmd:${record.commandId}`),
      key('devcmds-pending'),
      key('events'),
      encoded,
      String(options.deviceCommandTtlMs),
      record.commandId,
      expected,
      record.status === 'sent' ? '1' : '0',
      String(record.deadline),
      event ? this.d.encodeEvent(event) : '',
      String(options.eventsStreamMaxLen),
    );
    switch (status) {
      case 'applied':
        return { status, command: JSON.parse(encoded) as DeviceCommandRecord };
      case 'conflict':
        return { status, command: JSON.parse(json ?? 'null') as DeviceCommandRecord };
      case 'not_found':
        return { status };
      default:
        throw new Error(`updateDeviceCommand: unexpected script reply '${status}'`);
    }
  }

  async get(commandId: string): Promise<DeviceCommandRecord | null> {
    const json = await this.d.client.get(this.d.key(`devcmd:${commandId}`));
    return json === null ? null : (JSON.parse(json) as DeviceCommandRecord);
  }

  async list(deviceId: string, limit: number): Promise<DeviceCommandRecord[]> {
    const n = Math.min(limit, this.d.options.deviceCommandsPerDevice);
    if (n <= 0) return [];
    const ids = await this.d.client.lrange(this.d.key(`devcmds:${deviceId}`), -n, -1);
    return (await this.records(ids.reverse())).filter((r): r is DeviceCommandRecord => r !== null);
  }

  async pending(limit: number): Promise<DeviceCommandRecord[]> {
    if (limit <= 0) return [];
    const pendingKey = this.d.key('devcmds-pending');
    const ids = await this.d.client.zrangebyscore(pendingKey, '-inf', '+inf', 'LIMIT', 0, limit);
    const records = await this.records(ids);
    // a record that expired while still indexed as pending leaves the index here
    const gone = ids.filter((_id, i) => records[i] === null);
    if (gone.length > 0) await this.d.client.zrem(pendingKey, ...gone);
    return records.filter((r): r is DeviceCommandRecord => r !== null && r.status === 'sent');
  }

  private async records(ids: string[]): Promise<(DeviceCommandRecord | null)[]> {
    if (ids.length === 0) return [];
    const values = await this.d.client.mget(ids.map((id) => this.d.key(`devcmd:${id}`)));
    return values.map((json) => (json === null ? null : (JSON.parse(json) as DeviceCommandRecord)));
  }
}
