/**
 * Backup and restore (issue 12, deploy/redis/README.md): a server on throwaway Redis A (as ioc-app)
 * makes incidents and audit records; `npm run backup` (as ioc-ops, with the RDB copy) then
 * `npm run restore` into a fresh Redis B; a RedisStore on B finds every incident and the audit
 * stream is entry for entry the same. A changed byte and a non-empty target are refused.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupCli } from '../../scripts/backup';
import { runRestoreCli } from '../../scripts/restore';
import { startIocServer } from '../app';
import { createLogger } from '../logger';
import { parseAuditExport } from '../audit/audit-export';
import { readManifest } from '../backup/manifest';
import { RedisStore } from '../store/redis-store';
import { login } from './helpers';
import { TEST_PREFIX, aclDenials, serverConfigOn, startAclRedis, type AclRedis } from '../../tests/helpers/acl-redis';

const AUDIT_LOG = `${TEST_PREFIX}-audit:log`;

const [a, b] = await Promise.all([startAclRedis(), startAclRedis()]);

describe.skipIf(a === null || b === null)('backup and restore (deploy/redis)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'ioc-test-backup-'));
  let adminA: Redis;
  let adminB: Redis;
  let backupDir = '';
  const incidentIds: string[] = [];

  const run = async (cli: typeof runBackupCli, argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await cli(
      argv,
      {},
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out, err: err.join('\n') };
  };

  beforeAll(async () => {
    adminA = new Redis((a as AclRedis).adminUrl);
    adminB = new Redis((b as AclRedis).adminUrl);
    const server = await startIocServer(serverConfigOn(a!.appUrl), { logger: createLogger('silent') });
    try {
      const officer = await login(server, 'officer1');
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${server.url}/api/commands`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${officer}` },
          body: JSON.stringify({
            commandId: `backup-cmd-${i}`,
            type: 'incident.create',
            title: `备份测试事件 ${i}`,
            category: 'waterlogging',
            scene: 'water',
            location: [120.38 + i / 1000, 36.07],
            priority: 'P3',
          }),
        });
        expect(r.status).toBe(200);
        incidentIds.push(((await r.json()) as { incident: { id: string } }).incident.id);
      }
    } finally {
      await server.close();
    }
    // the audit chain of this server, or (if it is not wired into the server) records written here
    if ((await adminA.xlen(AUDIT_LOG)) === 0) {
      const app = new Redis(a!.appUrl);
      for (let seq = 1; seq <= 3; seq++) await app.xadd(AUDIT_LOG, '*', 'r', JSON.stringify({ seq, action: 'test.record' }));
      app.disconnect();
    }
    expect(await aclDenials(adminA)).toEqual([]);
  });

  afterAll(async () => {
    adminA?.disconnect();
    adminB?.disconnect();
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('backs up as ioc-ops: keys, registry and audit exports, the RDB copy, a manifest with checksums', async () => {
    const r = await run(runBackupCli, [
      '--out',
      join(workDir, 'backups'),
      '--prefix',
      TEST_PREFIX,
      '--redis-url',
      a!.opsUrl,
      '--rdb',
      join(a!.server.dir, 'dump.rdb'),
    ]);
    expect(r.code, r.err).toBe(0);
    backupDir = r.out.at(-1)!;
    const manifest = await readManifest(backupDir);
    expect(manifest.prefix).toBe(TEST_PREFIX);
    expect(manifest.redisVersion).toMatch(/^\d+\.\d+/);
    expect(manifest.keyCounts[`${TEST_PREFIX}:*`]).toBeGreaterThan(10);
    expect(manifest.keyCounts[`${TEST_PREFIX}-audit:*`]).toBeGreaterThanOrEqual(1);
    expect(manifest.files.map((f) => f.name).sort()).toEqual(
      expect.arrayContaining([
        'audit.ndjson',
        'dump.rdb',
        'keys-0001.ndjson',
        'registry-asset.ndjson',
        'registry-device.ndjson',
        'registry-rule.ndjson',
      ]),
    );
    expect(readdirSync(backupDir).sort()).toEqual([...manifest.files.map((f) => f.name), 'manifest.json'].sort());
    // the readable exports: every audit entry, every device
    const auditExport = parseAuditExport(readFileSync(join(backupDir, 'audit.ndjson'), 'utf8'));
    expect(auditExport.header?.chain).toBe(`${TEST_PREFIX}-audit`);
    expect(auditExport.entries.map((e) => e.id)).toEqual((await adminA.xrange(AUDIT_LOG, '-', '+')).map(([id]) => id));
    const devices = readFileSync(join(backupDir, 'registry-device.ndjson'), 'utf8').trim().split('\n');
    expect(devices.length).toBe(await adminA.hlen(`${TEST_PREFIX}:reg:device`));
    expect(readFileSync(join(backupDir, 'dump.rdb')).subarray(0, 5).toString('latin1')).toBe('REDIS');
  });

  it('restores into a fresh Redis: every incident and every audit record is there, with key expiries', async () => {
    const r = await run(runRestoreCli, ['--from', backupDir, '--redis-url', b!.opsUrl]);
    expect(r.code, r.err).toBe(0);
    const store = new RedisStore(b!.appUrl, { prefix: TEST_PREFIX });
    try {
      const loaded = await store.loadIncidents(0);
      expect(loaded.map((i) => i.id).sort()).toEqual(expect.arrayContaining([...incidentIds].sort()));
      const original = new RedisStore(a!.appUrl, { prefix: TEST_PREFIX });
      try {
        expect(loaded.length).toBe((await original.loadIncidents(0)).length);
        for (const id of incidentIds) expect(await store.getIncident(id)).toEqual(await original.getIncident(id));
        expect(await store.listUsers()).toEqual(await original.listUsers());
      } finally {
        await original.close();
      }
    } finally {
      await store.close();
    }
    expect(await adminB.xrange(AUDIT_LOG, '-', '+')).toEqual(await adminA.xrange(AUDIT_LOG, '-', '+'));
    expect(await adminB.get(`${TEST_PREFIX}-audit:head`)).toEqual(await adminA.get(`${TEST_PREFIX}-audit:head`));
    // a command-id marker keeps its expiry (absolute), it does not become persistent
    const ttlB = await adminB.pttl(`${TEST_PREFIX}:cmd:backup-cmd-0`);
    const ttlA = await adminA.pttl(`${TEST_PREFIX}:cmd:backup-cmd-0`);
    expect(ttlB).toBeGreaterThan(0);
    expect(ttlB).toBeLessThanOrEqual(ttlA + 1_000);
    expect(await adminB.dbsize()).toBe(await adminA.dbsize());
  });

  it('refuses a target that already holds keys of the prefix unless --force', async () => {
    const refused = await run(runRestoreCli, ['--from', backupDir, '--redis-url', b!.opsUrl]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/already holds keys of prefix 'ioc'/);
    await adminB.set(`${TEST_PREFIX}:users`, 'clobbered');
    const forced = await run(runRestoreCli, ['--from', backupDir, '--redis-url', b!.opsUrl, '--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(await adminB.type(`${TEST_PREFIX}:users`)).toBe('set');
  });

  it('refuses a backup with one changed byte, naming the file, and writes nothing', async () => {
    const corrupt = join(workDir, 'corrupt');
    cpSync(backupDir, corrupt, { recursive: true });
    const file = join(corrupt, 'keys-0001.ndjson');
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    writeFileSync(file, bytes);
    await adminB.flushall();
    const r = await run(runRestoreCli, ['--from', corrupt, '--redis-url', b!.opsUrl]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/keys-0001\.ndjson: sha256 [0-9a-f]{64} does not match the manifest/);
    expect(await adminB.dbsize()).toBe(0);
    const verify = await run(runRestoreCli, ['--from', corrupt, '--verify-only']);
    expect(verify.code).toBe(1);
    expect((await run(runRestoreCli, ['--from', backupDir, '--verify-only'])).code).toBe(0);
  });
});
