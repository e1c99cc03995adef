/**
 * `npm run audit:verify -- --incidents` against a real server's store and audit chain in a
 * throwaway Redis: incidents created and dispatched by commands agree with the chain; a step's
 * actor edited in the stored JSON, a step removed, a step inserted and an incident deleted are
 * each named (issue 12: "an edited incident history … is served as genuine").
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Incident } from '../../scenes/domain';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { RedisStore } from '../store/redis-store';
import { auditVerifyMain } from '../audit/verify-cli';
import { auditTrimMain } from '../audit/trim-cli';
import { login, startTestServer } from './helpers';

const redis = await startRedisServer();
const tmp = mkdtempSync(join(tmpdir(), 'ioc-audit-incidents-'));
let op: Redis;
afterAll(async () => {
  await op?.quit();
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const AUDIT_KEY = 'incidents-test-audit-key-0123456789abcdef0123';
const PREFIX = 'xinc';
const env: NodeJS.ProcessEnv = { REDIS_URL: redis?.url, IOC_REDIS_PREFIX: PREFIX, IOC_AUDIT_KEY: AUDIT_KEY, NODE_ENV: 'test' };
const anchors = join(tmp, 'anchors.jsonl');

/** the two incidents the server made: `dispatched` (created, dispatched, accepted) and `reported` (created, dispatched) */
let accepted: Incident;
let dispatched: Incident;

async function verify(args: string[] = ['--incidents', '--anchors', anchors]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await auditVerifyMain(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, tmp);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const incidentKey = (id: string) => `${PREFIX}:incident:${id}`;

async function storedIncident(id: string): Promise<Incident> {
  return JSON.parse((await op.get(incidentKey(id)))!) as Incident;
}

/** every tampering test puts the stored incidents back as the server left them */
const originals = new Map<string, string>();
afterEach(async () => {
  if (originals.size === 0) return;
  for (const [id, json] of originals) await op.set(incidentKey(id), json);
  await op.sadd(`${PREFIX}:incidents:open`, ...originals.keys());
});

describe.skipIf(redis === null)('audit:verify --incidents on Redis', () => {
  beforeAll(async () => {
    op = new Redis(redis!.url);
    const server = await startTestServer(
      { auditKey: AUDIT_KEY, auditAnchorFile: anchors },
      { store: new RedisStore(redis!.url, { prefix: PREFIX }) },
    );
    try {
      const tokens = { officer1: await login(server, 'officer1'), handler1: await login(server, 'handler1') };
      let n = 0;
      const command = async (who: keyof typeof tokens, body: Record<string, unknown>): Promise<Incident> => {
        const r = await fetch(`${server.url}/api/commands`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
          body: JSON.stringify({ commandId: `xinc-cmd-${++n}`, ...body }),
        });
        const answer = (await r.json()) as { incident: Incident };
        expect(r.status, JSON.stringify(answer)).toBe(200);
        return answer.incident;
      };
      const create = () =>
        command('officer1', {
          type: 'incident.create',
          title: 'cross-check probe',
          category: 'gas-leak',
          scene: 'emergency',
          location: [120.38, 36.07],
          priority: 'P3',
        });
      const dispatch = (i: Incident) => command('officer1', { type: 'incident.dispatch', incidentId: i.id, assignees: ['handler1'] });
      const a = await create();
      await dispatch(a);
      accepted = await command('handler1', { type: 'incident.accept', incidentId: a.id });
      dispatched = await dispatch(await create());
    } finally {
      await server.close();
    }
    expect(accepted.history.map((s) => `${s.action}:${s.actor}`)).toEqual(['create:officer1', 'dispatch:officer1', 'accept:handler1']);
    for (const i of [accepted, dispatched]) originals.set(i.id, (await op.get(incidentKey(i.id)))!);
  });

  it('answers OK for incidents untouched since their commands', async () => {
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([expect.stringMatching(/^OK \d+ records/), 'OK 2 incidents agree with the audit chain']);
  });

  it('names the step whose actor was edited in the stored JSON', async () => {
    const edited = await storedIncident(accepted.id);
    const step = edited.history[1]!;
    edited.history[1] = { ...step, actor: 'officer2' };
    await op.set(incidentKey(accepted.id), JSON.stringify(edited));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[1]).toMatch(
      new RegExp(
        `^TAMPERED: incident ${accepted.id} step ${step.commandId} \\(dispatch by officer2\\) was done by officer1 according to audit record seq \\d+$`,
      ),
    );
  });

  it('names a step removed from the history, with the version lowered to match', async () => {
    const cut = await storedIncident(accepted.id);
    const [removed] = cut.history.splice(1, 1);
    cut.version = cut.history.length;
    await op.set(incidentKey(accepted.id), JSON.stringify(cut));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out.split('\n').slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^TAMPERED: incident ${accepted.id} lacks step ${removed!.commandId} \\(incident.dispatch by officer1, audit record seq \\d+\\): the step was deleted$`,
        ),
      ),
    ]);
  });

  it('names a person step inserted into the history', async () => {
    const grown = await storedIncident(dispatched.id);
    grown.history.push({ action: 'accept', from: 'dispatched', to: 'accepted', actor: 'handler1', ts: Date.now(), commandId: 'forged-1' });
    grown.version += 1;
    grown.state = 'accepted';
    await op.set(incidentKey(dispatched.id), JSON.stringify(grown));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[1]).toBe(`TAMPERED: incident ${dispatched.id} step forged-1 (accept by handler1) has no audit record`);
  });

  it('names an incident deleted from the store', async () => {
    await op.del(incidentKey(dispatched.id));
    await op.srem(`${PREFIX}:incidents:open`, dispatched.id);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[1]).toMatch(
      new RegExp(`^TAMPERED: incident ${dispatched.id} is missing from the store, but audit record seq \\d+ .*: it was deleted$`),
    );
  });

  it('does not cross-check an export, and checks the chain first', async () => {
    expect((await verify(['--incidents', '--file', 'x.ndjson'])).code).toBe(2);
    // a chain that does not verify is reported as such; incidents are not judged against it
    const r = await verify(['--incidents', '--anchors', anchors, '--key-file', '/nonexistent.json']);
    expect(r.code).toBe(2);
    const wrongKey = await auditVerifyMain(
      ['--incidents'],
      { ...env, IOC_AUDIT_KEY: 'another-key-0123456789abcdef0123456789' },
      { out: () => {}, err: () => {} },
      tmp,
    );
    expect(wrongKey).toBe(1);
  });

  it('runs as `npm run audit:verify -- --incidents` (tsx script, exit code)', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/audit-verify.ts', '--incidents', '--anchors', anchors], {
      env: { ...process.env, ...env },
      cwd: process.cwd(),
    });
    expect(stdout).toMatch(/\nOK 2 incidents agree with the audit chain\n$/);
  }, 60_000);

  // last: it trims the chain the other tests use
  it('does not judge steps whose records a retention trim removed', async () => {
    const io = { out: () => {}, err: () => {} };
    // 200 days later, 184 days of retention: every record is past it
    expect(await auditTrimMain([], env, io, Date.now() + 200 * 24 * 3600_000, tmp)).toBe(0);
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[1]).toBe('OK 0 incidents agree with the audit chain (not judged, no audit record retained: 2 incidents, 5 steps)');
  });
});
