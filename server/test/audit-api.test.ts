/**
 * The audit log through the server: commands (applied and refused) and registry writes are
 * recorded with who, where from and the outcome; `GET /api/audit` is for administrators, filters,
 * pages, exports CSV, and records its own reads; a failed audit write fails the action closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { MemoryAuditBackend } from '../audit/audit-backend';
import type { AuditRow } from '../audit/audit-query';
import { login, startTestServer } from './helpers';

let server: IocServer;
const tokens: Record<string, string> = {};
const UA = 'audit-test-agent/1.0';

beforeAll(async () => {
  server = await startTestServer();
  for (const u of ['admin', 'officer1', 'handler1', 'leader1']) tokens[u] = await login(server, u);
});
afterAll(async () => {
  await server?.close();
});

function api(user: string | null, path: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { 'user-agent': UA, ...(init.headers as Record<string, string> | undefined) };
  if (user) headers.authorization = `Bearer ${tokens[user]}`;
  if (init.body) headers['content-type'] = 'application/json';
  return fetch(`${server.url}${path}`, { ...init, headers });
}

async function auditRecords(query: string): Promise<{ records: AuditRow[]; next?: string }> {
  const r = await api('admin', `/api/audit?${query}`);
  expect(r.status).toBe(200);
  return (await r.json()) as { records: AuditRow[]; next?: string };
}

let commandCounter = 0;
const createIncident = () => ({
  type: 'incident.create',
  commandId: `audit-cmd-${++commandCounter}-${Date.now()}`,
  title: 'audit probe',
  category: 'gas-leak',
  scene: 'emergency',
  location: [120.38, 36.07],
  priority: 'P3',
});

describe('GET /api/audit', () => {
  it('is for administrators only', async () => {
    expect((await api(null, '/api/audit')).status).toBe(401);
    for (const u of ['officer1', 'leader1', 'handler1']) {
      const r = await api(u, '/api/audit');
      expect(r.status).toBe(403);
    }
  });

  it('records an applied and a refused command with actor, role, source, user agent and outcome', async () => {
    const applied = await api('officer1', '/api/commands', { method: 'POST', body: JSON.stringify(createIncident()) });
    expect(applied.status).toBe(200);
    const incident = ((await applied.json()) as { incident: { id: string } }).incident;
    // a handler may not dispatch: refused by the state machine
    const refusedCmd = { type: 'incident.dispatch', commandId: `audit-refused-${Date.now()}`, incidentId: incident.id, assignees: ['handler1'] };
    const refused = await api('handler1', '/api/commands', { method: 'POST', body: JSON.stringify(refusedCmd) });
    expect(refused.status).toBe(403);

    const { records } = await auditRecords(`action=command&target=${encodeURIComponent(`incident:${incident.id}`)}`);
    expect(records.map((r) => [r.actor, r.outcome])).toEqual([
      ['handler1', 'denied'],
      ['officer1', 'success'],
    ]);
    const [deniedRec, okRec] = records;
    expect(okRec).toMatchObject({ role: 'officer', source: '127.0.0.1', userAgent: UA, details: { type: 'incident.create' } });
    expect(deniedRec).toMatchObject({ role: 'handler', details: { type: 'incident.dispatch', commandId: refusedCmd.commandId } });
    expect(deniedRec!.reason).toMatch(/^E_FORBIDDEN/);
    expect(deniedRec!.seq).toBeGreaterThan(okRec!.seq);
  });

  it('records a permission denial (a role refused by a route) and a command that is not even valid', async () => {
    expect((await api('handler1', '/api/users')).status).toBe(403);
    const invalid = await api('officer1', '/api/commands', { method: 'POST', body: JSON.stringify({ type: 'incident.teleport', commandId: 'x-1' }) });
    expect(invalid.status).toBe(400);
    const denied = await auditRecords('action=access.denied&actor=handler1');
    expect(denied.records[0]).toMatchObject({ role: 'handler', outcome: 'denied', reason: 'E_FORBIDDEN', target: 'GET /api/users' });
    const refused = await auditRecords('action=command&actor=officer1&outcome=failure');
    expect(refused.records[0]!.reason).toMatch(/^E_VALIDATION/);
  });

  it('filters by actor, outcome, action family and time, newest first, in pages', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 3; i++)
      expect((await api('officer1', '/api/commands', { method: 'POST', body: JSON.stringify(createIncident()) })).status).toBe(200);
    const mine = await auditRecords(`actor=officer1&action=command&outcome=success&from=${t0}&limit=2`);
    expect(mine.records).toHaveLength(2);
    expect(mine.records[0]!.seq).toBeGreaterThan(mine.records[1]!.seq);
    expect(mine.next).toBeDefined();
    const rest = await auditRecords(`actor=officer1&action=command&outcome=success&from=${t0}&limit=10&cursor=${mine.next}`);
    expect(rest.records).toHaveLength(1);
    expect(rest.records[0]!.seq).toBeLessThan(mine.records[1]!.seq);
    // `to` before anything happened: nothing
    expect((await auditRecords(`to=${t0 - 3_600_000}`)).records).toEqual([]);
    // an ISO time with offset works too; a bad one is a validation error
    expect((await auditRecords(`from=${encodeURIComponent(new Date(t0).toISOString())}&actor=officer1&action=command`)).records).toHaveLength(3);
    expect((await api('admin', '/api/audit?from=yesterday')).status).toBe(400);
    expect((await api('admin', '/api/audit?outcome=maybe')).status).toBe(400);
  });

  it('records its own reads (audit.read)', async () => {
    await auditRecords('actor=nobody-at-all');
    const { records } = await auditRecords('action=audit.read&limit=5');
    // the newest is the read just made (it is recorded before it answers)
    expect(records[0]).toMatchObject({ actor: 'admin', action: 'audit.read', outcome: 'success' });
    expect(records.some((r) => (r.details?.filter as { actor?: string } | undefined)?.actor === 'nobody-at-all')).toBe(true);
  });

  it('exports CSV with Beijing time and records the export (audit.export)', async () => {
    const r = await api('admin', '/api/audit?format=csv&action=command');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="?audit-\d{4}-\d\d-\d\d\.csv/);
    const text = await r.text();
    const lines = text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('time,actor,role,source,user_agent,action,target,outcome,reason,seq');
    expect(lines.length).toBeGreaterThan(3);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00,/);
    const { records } = await auditRecords('action=audit.export');
    expect(records[0]).toMatchObject({ actor: 'admin', outcome: 'success', details: { rows: lines.length - 1 } });
  });

  it('records registry writes, token rotations and exports with their targets', async () => {
    const id = `AUD-${Date.now().toString(36)}`.toUpperCase();
    const created = await api('admin', '/api/devices', {
      method: 'POST',
      body: JSON.stringify({ id, kind: 'gas-detector', name: 'audit probe', location: [120.38, 36.07] }),
    });
    expect(created.status).toBe(201);
    const device = ((await created.json()) as { device: { version: number } }).device;
    const rotated = await api('admin', `/api/devices/${id}/token`, { method: 'POST', body: JSON.stringify({ version: device.version }) });
    expect(rotated.status).toBe(200);
    const stale = await api('admin', `/api/devices/${id}/token`, { method: 'POST', body: JSON.stringify({ version: device.version }) });
    expect(stale.status).toBe(409);
    expect((await api('officer1', '/api/devices/export?format=csv')).status).toBe(200);

    const { records } = await auditRecords(`target=${encodeURIComponent(`device:${id}`)}`);
    expect(records.map((r) => [r.action, r.outcome])).toEqual([
      ['device.token_rotate', 'failure'],
      ['device.token_rotate', 'success'],
      ['device.create', 'success'],
    ]);
    expect(records[0]!.reason).toMatch(/^E_CONFLICT/);
    // the token itself is never in the audit
    expect(JSON.stringify(records)).not.toContain(((await rotated.json()) as { token: string }).token);
    const exports = await auditRecords('action=export&actor=officer1');
    expect(exports.records[0]).toMatchObject({ target: 'devices', outcome: 'success', details: { format: 'csv' } });
  });
});

describe('user administration', () => {
  it('records creation, role, scope, disabling and password reset of an account, each as its own action, by the admin', async () => {
    const username = `audited${Date.now() % 100000}`;
    const create = await api('admin', '/api/users', {
      method: 'POST',
      body: JSON.stringify({ username, displayName: '审计 测试', role: 'officer', password: 'Initial-Passw0rd!' }),
    });
    expect(create.status).toBe(201);
    const patch = await api('admin', `/api/users/${username}`, {
      method: 'PATCH',
      body: JSON.stringify({ role: 'leader', districts: ['370202'], disabled: true, password: 'Reset-Passw0rd!!' }),
    });
    expect(patch.status).toBe(200);
    const { records } = await auditRecords(`target=${encodeURIComponent(`user:${username}`)}&actor=admin`);
    const actions = records.filter((r) => r.action.startsWith('user.')).map((r) => r.action);
    expect(actions.sort()).toEqual(['user.create', 'user.disable', 'user.password_reset', 'user.role_change', 'user.scope_change']);
    expect(records.find((r) => r.action === 'user.role_change')).toMatchObject({
      role: 'admin',
      details: { from: 'officer', to: 'leader' },
      userAgent: UA,
    });
  });

  it('creates or changes no account when its audit record cannot be written', async () => {
    const backend = server.audit.backend as MemoryAuditBackend;
    const username = `unaudited${Date.now() % 100000}`;
    backend.failAppends = true;
    try {
      const create = await api('admin', '/api/users', {
        method: 'POST',
        body: JSON.stringify({ username, displayName: 'x', role: 'officer', password: 'Initial-Passw0rd!' }),
      });
      expect(create.status).toBe(503);
      const demote = await api('admin', '/api/users/officer2', { method: 'PATCH', body: JSON.stringify({ role: 'handler' }) });
      expect(demote.status).toBe(503);
    } finally {
      backend.failAppends = false;
    }
    expect(await server.store.getUser(username)).toBeNull();
    expect((await server.store.getUser('officer2'))!.role).toBe('officer');
  });
});

describe('when the audit log cannot be written', () => {
  it('fails closed: commands answer E_UNAVAILABLE, audit reads answer nothing; a retry audits the command', async () => {
    const backend = server.audit.backend as MemoryAuditBackend;
    const cmd = createIncident();
    backend.failAppends = true;
    try {
      const r = await api('officer1', '/api/commands', { method: 'POST', body: JSON.stringify(cmd) });
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('E_UNAVAILABLE');
      const read = await api('admin', '/api/audit');
      expect(read.status).toBe(503);
      expect(await read.json()).not.toHaveProperty('records');
      const rotate = await api('admin', '/api/devices/NOPE-1/token', { method: 'POST', body: JSON.stringify({}) });
      expect(rotate.status).toBe(503);
    } finally {
      backend.failAppends = false;
    }
    // the same commandId again: applied once, answered as a duplicate, and now in the audit
    const again = await api('officer1', '/api/commands', { method: 'POST', body: JSON.stringify(cmd) });
    expect(again.status).toBe(200);
    const body = (await again.json()) as { duplicate: boolean; incident: { id: string } };
    expect(body.duplicate).toBe(true);
    const { records } = await auditRecords(`action=command&target=${encodeURIComponent(`incident:${body.incident.id}`)}`);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'success', details: { commandId: cmd.commandId, duplicate: true } });
  });
});
