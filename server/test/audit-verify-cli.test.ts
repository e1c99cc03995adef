/**
 * `npm run audit:verify` and `npm run audit:trim` against a real server's chain in Redis (a
 * throwaway redis-server): a clean chain is OK; a deleted, an edited and a cut-off record are each
 * named; an export verifies; a trim keeps the chain verifiable from its trim point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { RedisStore } from '../store/redis-store';
import { auditKeys } from '../audit/redis-audit-backend';
import { writeAuditExport } from '../audit/audit-export';
import { auditVerifyMain } from '../audit/verify-cli';
import { auditTrimMain } from '../audit/trim-cli';
import { login, startTestServer } from './helpers';

const redis = await startRedisServer();
const tmp = mkdtempSync(join(tmpdir(), 'ioc-audit-cli-'));
let op: Redis;
afterAll(async () => {
  await op?.quit();
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const AUDIT_KEY = 'cli-test-audit-key-0123456789abcdef0123456789';
let prefixCounter = 0;

/** A server on Redis that records `n` commands, then closes (its last anchor written). */
async function chainOnRedis(n: number): Promise<{ prefix: string; anchors: string; env: NodeJS.ProcessEnv }> {
  const prefix = `cli${++prefixCounter}`;
  const anchors = join(tmp, `${prefix}-anchors.jsonl`);
  const server = await startTestServer({ auditKey: AUDIT_KEY, auditAnchorFile: anchors }, { store: new RedisStore(redis!.url, { prefix }) });
  try {
    const token = await login(server, 'officer1');
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${server.url}/api/commands`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ type: 'alert.ack', commandId: `cli-ack-${prefix}-${i}`, alertId: 'no-such-alert' }),
      });
      expect(r.status).toBe(404); // refused commands are audited too
    }
  } finally {
    await server.close();
  }
  return { prefix, anchors, env: { REDIS_URL: redis!.url, IOC_REDIS_PREFIX: prefix, IOC_AUDIT_KEY: AUDIT_KEY, NODE_ENV: 'test' } };
}

async function verify(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await auditVerifyMain(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, tmp);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function streamIds(prefix: string): Promise<string[]> {
  return ((await op.xrange(auditKeys(prefix).log, '-', '+')) as [string, string[]][]).map(([id]) => id);
}

describe.skipIf(redis === null)('audit:verify and audit:trim on Redis', () => {
  beforeAll(() => {
    op = new Redis(redis!.url);
  });

  it('answers OK for an untouched chain, with the anchor it checked', async () => {
    const c = await chainOnRedis(4);
    // its own key family beside the store's (`<prefix>-audit:*`, for the ACL), not under `<prefix>:`
    expect(await op.exists(`${c.prefix}-audit:log`, `${c.prefix}-audit:head`)).toBe(2);
    expect(await op.keys(`${c.prefix}:*audit*`)).toEqual([]);
    const r = await verify(c.env, ['--anchors', c.anchors]);
    expect(r.code).toBe(0);
    // 1 login is not audited by this slice; 4 commands are
    expect(r.out).toMatch(/^OK \d+ records, seq 1–\d+, head [0-9a-f]{16}…, anchored .* at seq \d+/);
    expect(Number(/^OK (\d+)/.exec(r.out)![1])).toBeGreaterThanOrEqual(4);
  });

  it('names a record deleted with XDEL, and a tail cut off after the last anchor', async () => {
    const c = await chainOnRedis(5);
    const ids = await streamIds(c.prefix);
    await op.xdel(auditKeys(c.prefix).log, ids[2]!);
    const r = await verify(c.env, ['--anchors', c.anchors]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`TAMPERED: record seq 3 (before ${ids[3]}) was deleted: seq 3 missing, the log goes on at seq 4`);

    const d = await chainOnRedis(3);
    const dIds = await streamIds(d.prefix);
    await op.xdel(auditKeys(d.prefix).log, dIds[dIds.length - 1]!);
    // the head key alone would tell; without it the anchor still does
    await op.set(auditKeys(d.prefix).head, `${dIds.length - 1}:${'0'.repeat(64)}`);
    const t = await verify(d.env, ['--anchors', d.anchors]);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(new RegExp(`^TAMPERED: records from seq ${dIds.length} \\(after ${dIds[dIds.length - 2]}\\) were deleted: .*anchor`));
  });

  it('names a record edited in the stream (rebuilt with the same ids)', async () => {
    const c = await chainOnRedis(3);
    const key = auditKeys(c.prefix).log;
    const rows = (await op.xrange(key, '-', '+')) as [string, string[]][];
    await op.del(key);
    for (const [i, [id, fields]] of rows.entries())
      await op.xadd(key, id, 'r', i === 1 ? fields[1]!.replace('"outcome":"failure"', '"outcome":"success"') : fields[1]!);
    const r = await verify(c.env, ['--anchors', c.anchors]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^TAMPERED: record seq 2 \\(${rows[1]![0]}\\) was changed`));
  });

  it('verifies an NDJSON export, and names an edit in it', async () => {
    const c = await chainOnRedis(3);
    const { RedisAuditBackend } = await import('../audit/redis-audit-backend');
    const lines: string[] = [];
    await writeAuditExport(new RedisAuditBackend(op, c.prefix), (l) => lines.push(l));
    const file = join(tmp, `${c.prefix}.ndjson`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(await verify(c.env, ['--file', file, '--anchors', c.anchors])).toMatchObject({ code: 0 });
    writeFileSync(file, readFileSync(file, 'utf8').replace('"actor":"officer1"', '"actor":"officer2"'));
    const r = await verify(c.env, ['--file', file, '--anchors', c.anchors]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^TAMPERED: record seq \d+ \(\d+-\d+\) was changed/);
  });

  it('reads the key from --key-file, and refuses with the wrong key', async () => {
    const c = await chainOnRedis(2);
    const keyFile = join(tmp, 'secrets.json');
    writeFileSync(keyFile, JSON.stringify({ jwtSecret: 'x', deviceSecret: 'y', auditKey: AUDIT_KEY }));
    const env = { ...c.env, IOC_AUDIT_KEY: undefined };
    expect((await verify(env, ['--key-file', keyFile, '--anchors', c.anchors])).code).toBe(0);
    expect((await verify({ ...c.env, IOC_AUDIT_KEY: 'another-key-0123456789abcdef0123456789' }, [])).code).toBe(1);
  });

  it('trims records past retention after verifying, and the chain verifies from its trim point', async () => {
    const c = await chainOnRedis(4);
    const before = await streamIds(c.prefix);
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    // 200 days later, 184 days of retention: every record is past it
    const later = Date.now() + 200 * 24 * 3600_000;
    expect(await auditTrimMain(['--dry-run'], c.env, io, later, tmp)).toBe(0);
    expect(await streamIds(c.prefix)).toEqual(before);
    expect(await auditTrimMain([], c.env, io, later, tmp)).toBe(0);
    expect(out.at(-1)).toMatch(new RegExp(`^trimmed ${before.length} records up to seq ${before.length}`));
    expect(await streamIds(c.prefix)).toEqual([]);
    const r = await verify(c.env, ['--anchors', c.anchors]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(new RegExp(`^OK 0 records, none after the trim point at seq ${before.length}`));
    // production refuses a retention shorter than six months
    expect(await auditTrimMain(['--days', '30'], { ...c.env, NODE_ENV: 'production' }, io, later, tmp)).toBe(2);
  });

  it('runs as `npm run audit:verify` (tsx script, exit code)', async () => {
    const c = await chainOnRedis(1);
    const run = promisify(execFile);
    const { stdout } = await run('npx', ['tsx', 'scripts/audit-verify.ts', '--anchors', c.anchors], {
      env: { ...process.env, ...c.env },
      cwd: process.cwd(),
    });
    expect(stdout).toMatch(/^OK \d+ records/);
    await op.xdel(auditKeys(c.prefix).log, (await streamIds(c.prefix))[0]!);
    const failed = await run('npx', ['tsx', 'scripts/audit-verify.ts', '--anchors', c.anchors], { env: { ...process.env, ...c.env } }).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stdout: string }).stdout).toMatch(/^TAMPERED: record seq 1 \(before \d+-\d+\) was deleted/);
  }, 60_000);
});
