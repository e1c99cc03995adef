/**
 * The application's Redis ACL user (issue 12, deploy/redis/README.md): a throwaway Redis started
 * with the aclfile `npm run redis:acl` prints (default user passworded), the whole server on it as
 * `ioc-app`, every path exercised with no ACL denial, then the commands it must not have refused.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../../scenes/domain';
import { TEST_PREFIX, aclDenials, serverConfigOn, startAclRedis } from '../../tests/helpers/acl-redis';
import { startIocServer, type IocServer } from '../app';
import { createLogger } from '../logger';
import { APP_USER, FORBIDDEN_COMMANDS, OPS_USER } from '../backup/redis-acl';
import { ingest, login, sign } from './helpers';

/** arguments that make each forbidden command well-formed for ACL DRYRUN */
const DRYRUN_ARGS: Record<string, string[]> = {
  config: ['GET', 'dir'],
  keys: ['*'],
  debug: ['SLEEP', '0'],
  acl: ['LIST'],
  module: ['LIST'],
  script: ['FLUSH'],
};
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const redis = await startAclRedis();

describe.skipIf(redis === null)('Redis ACL user ioc-app (deploy/redis)', () => {
  let admin: Redis;
  let app: Redis;
  let server: IocServer | null = null;
  let commandSeq = 0;

  beforeAll(async () => {
    admin = new Redis(redis!.adminUrl);
    app = new Redis(redis!.appUrl, { maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    await server?.close();
    app?.disconnect();
    admin?.disconnect();
    await redis?.stop();
  });

  const start = () => startIocServer(serverConfigOn(redis!.appUrl), { logger: createLogger('silent') });

  async function api(method: string, path: string, token: string, body?: unknown, contentType = 'application/json') {
    const r = await fetch(`${server!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  }
  const command = (token: string, body: Record<string, unknown>) =>
    api('POST', '/api/commands', token, { commandId: `acl-cmd-${++commandSeq}`, ...body });

  it('refuses connections without credentials and the ioc-app user outside its rights, before anything ran', async () => {
    const anonymous = new Redis(redis!.server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableReadyCheck: false,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => {});
    await anonymous.connect();
    await expect(anonymous.get(`${TEST_PREFIX}:users`)).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    expect(await app.ping()).toBe('PONG');
  });

  it('runs the whole server as ioc-app: login, ingest, commands, registry, rule override, photo, housekeeping, restart — no ACL denial', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    server = await start();
    expect(server.store.kind).toBe('redis');
    const officer = await login(server, 'officer1');
    const adminToken = await login(server, 'admin');
    const handler = await login(server, 'handler3');

    // ingest: a red gas reading makes an alert and a system incident
    const detector = [...server.fusion.devices.values()].find((d): d is Device => d.kind === 'gas-detector')!;
    const r = await ingest(server, sign([{ deviceId: detector.id, ts: Date.now(), seq: 1, metrics: { lel: 70 } }]));
    expect(r.body.accepted).toBe(1);
    await waitFor('the gas incident', () => [...server!.fusion.incidents.values()].find((x) => x.deviceId === detector.id));

    // commands: create, dispatch, accept, photo, resolve, close
    const created = await command(officer, {
      type: 'incident.create',
      title: 'ACL 测试事件',
      category: 'waterlogging',
      scene: 'water',
      location: [120.38, 36.07],
      priority: 'P2',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const id = created.body.incident.id as string;
    expect((await command(officer, { type: 'incident.dispatch', incidentId: id, assignees: ['handler3'] })).body.ok).toBe(true);
    expect((await command(handler, { type: 'incident.accept', incidentId: id })).body.ok).toBe(true);
    expect((await command(handler, { type: 'incident.en_route', incidentId: id })).body.ok).toBe(true);
    expect((await command(handler, { type: 'incident.arrive', incidentId: id })).body.ok).toBe(true);
    const photo = await api('POST', '/api/photos', handler, PNG, 'image/png');
    expect(photo.status).toBe(201);
    const resolved = await command(handler, { type: 'incident.resolve', incidentId: id, note: '已处置', photos: [photo.body.id] });
    expect(resolved.body.ok, JSON.stringify(resolved.body)).toBe(true);
    expect((await command(officer, { type: 'incident.close', incidentId: id })).body.ok).toBe(true);

    // registry: a new device, a rule override, then their histories
    const device = await api('POST', '/api/devices', adminToken, {
      id: 'acl-sg-1',
      kind: 'strain-gauge',
      name: 'ACL 应变计',
      location: [120.41, 36.16],
    });
    expect(device.status, JSON.stringify(device.body)).toBe(201);
    expect(
      (await ingest(server, [{ deviceId: 'acl-sg-1', ts: Date.now(), seq: 1, metrics: { strain: 50 }, token: device.body.token }])).body.accepted,
    ).toBe(1);
    const river = [...server.fusion.devices.values()].find((d) => d.kind === 'water-level')!;
    const override = await api('PUT', `/api/rules/water.level.threshold/overrides/device/${river.id}`, adminToken, {
      patch: { limits: { yellow: 1, orange: 2, red: 3 } },
      expectedVersion: 0,
    });
    expect(override.status, JSON.stringify(override.body)).toBe(200);
    expect((await api('GET', '/api/devices/acl-sg-1/history', adminToken)).status).toBe(200);
    expect((await api('GET', `/api/incidents/${id}`, officer)).status).toBe(200);
    expect((await api('GET', `/api/events?from=${Date.now() - 60_000}&to=${Date.now()}`, officer)).status).toBe(200);

    // retention sweep and a failed login (the lockout counter path)
    await server.store.housekeep(Date.now());
    const bad = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'officer1', password: 'wrong-password-1' }),
    });
    expect(bad.status).toBe(401);

    // restart recovery on the same Redis: states, alerts, incidents and users come back
    await server.close();
    server = await start();
    expect(server.fusion.incidents.get(id)?.state).toBe('closed');
    expect(server.registry.getDevice('acl-sg-1')).toBeDefined();
    await login(server, 'officer1');

    expect(await aclDenials(admin)).toEqual([]);
  });

  it('refuses FLUSHALL, CONFIG, KEYS, SCAN and the other forbidden commands to ioc-app with NOPERM', async () => {
    await expect(app.flushall()).rejects.toThrow(/NOPERM/);
    await expect(app.flushdb()).rejects.toThrow(/NOPERM/);
    await expect(app.config('GET', 'dir')).rejects.toThrow(/NOPERM/);
    await expect(app.keys('*')).rejects.toThrow(/NOPERM/);
    await expect(app.scan('0')).rejects.toThrow(/NOPERM/);
    await expect(app.call('ACL', 'LIST')).rejects.toThrow(/NOPERM/);
    await expect(app.call('SCRIPT', 'FLUSH')).rejects.toThrow(/NOPERM/);
    // DEBUG: refused by `enable-debug-command no` before the ACL; ACL DRYRUN below checks the ACL
    await expect(app.call('SHUTDOWN', 'NOSAVE')).rejects.toThrow(/NOPERM/);
    await expect(app.call('MODULE', 'LIST')).rejects.toThrow(/NOPERM/);
    // keys of another family
    await expect(app.set('other:x', '1')).rejects.toThrow(/NOPERM/);
    for (const user of [APP_USER, OPS_USER]) {
      for (const c of FORBIDDEN_COMMANDS) {
        const argv = [c, ...(DRYRUN_ARGS[c] ?? [])];
        expect((await admin.call('ACL', 'DRYRUN', user, ...argv)) as string, `${user} ${argv.join(' ')}`).toMatch(/no permissions/);
      }
    }
  });

  it('lets ioc-app append to and read the audit chain but not delete, trim, rename or expire it', async () => {
    const log = `${TEST_PREFIX}-audit:log`;
    const head = `${TEST_PREFIX}-audit:head`;
    // the root pattern `ioc:*` does not reach `ioc-audit:*` (the `-` is not the `:`)
    const before = await app.xlen(log);
    const id = await app.xadd(log, '*', 'r', JSON.stringify({ seq: before + 1, action: 'test.append' }));
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await app.xlen(log)).toBe(before + 1);
    expect((await app.xrange(log, id!, id!))[0]![0]).toBe(id);
    expect((await app.xrevrange(log, '+', '-', 'COUNT', 1))[0]![0]).toBe(id);
    expect(await app.set(head, JSON.stringify({ seq: before + 1 }))).toBe('OK');
    expect(await app.get(head)).toContain('seq');
    // a CAS script of GET + XADD + SET on the family, as the audit log appends
    const scripted = await app.eval(
      "local h = redis.call('GET', KEYS[2]); local id = redis.call('XADD', KEYS[1], '*', 'r', ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return id",
      2,
      log,
      head,
      '{"seq":0}',
    );
    expect(String(scripted)).toMatch(/^\d+-\d+$/);

    await expect(app.xdel(log, id!)).rejects.toThrow(/NOPERM/);
    await expect(app.del(log)).rejects.toThrow(/NOPERM/);
    await expect(app.unlink(log)).rejects.toThrow(/NOPERM/);
    await expect(app.xtrim(log, 'MAXLEN', 0)).rejects.toThrow(/NOPERM/);
    await expect(app.rename(log, `${TEST_PREFIX}:stolen`)).rejects.toThrow(/NOPERM/);
    await expect(app.expire(log, 1)).rejects.toThrow(/NOPERM/);
    await expect(app.pexpire(head, 1)).rejects.toThrow(/NOPERM/);
    await expect(app.del(head)).rejects.toThrow(/NOPERM/);
    // Lua runs with the caller's rights: a script cannot delete there either
    await expect(app.eval("return redis.call('DEL', KEYS[1])", 1, log)).rejects.toThrow(/user executing the script can't/);
    await expect(app.eval("return redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)", 1, log)).rejects.toThrow(/user executing the script can't/);
    expect(await admin.xlen(log)).toBe(before + 2);
  });
});
