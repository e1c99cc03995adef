/**
 * Every role × every command over the real server (REST `POST /api/commands` and the `/live`
 * socket): each command is tried from a state where it is legal, so the only reason to refuse is
 * who asks. The expected matrix is written out here on purpose (not read from the state machine),
 * so a change of the rules has to change this test too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device, Incident, IncidentState, Role } from '../../scenes/domain';
import type { CommandResult } from '../../scenes/protocol';
import { emitAck, ingest, liveSocket, login, sign, startTestServer } from './helpers';

let server: IocServer;
const tokens: Partial<Record<string, string>> = {};
let seq = 0;
let cmdSeq = 0;

const ACTORS: Record<Role, string> = { screen: 'screen1', officer: 'officer1', handler: 'handler1', leader: 'leader1', admin: 'admin' };
const ROLES = Object.keys(ACTORS) as Role[];

/** Who may do what (the handler acts on an incident assigned to it). */
const ALLOWED: Record<string, readonly Role[]> = {
  'alert.ack': ['officer', 'leader', 'admin'],
  'incident.create': ['officer', 'handler', 'admin'],
  'incident.dispatch': ['officer', 'admin'],
  'incident.accept': ['handler', 'admin'],
  'incident.reject': ['handler'],
  'incident.en_route': ['handler', 'admin'],
  'incident.arrive': ['handler', 'admin'],
  'incident.resolve': ['handler', 'admin'],
  'incident.close': ['officer', 'admin'],
  'incident.reopen': ['officer', 'admin'],
  'incident.reassign': ['officer', 'admin'],
  'incident.escalate': ['officer', 'admin'],
  'incident.approve_escalation': ['leader', 'admin'],
  'incident.return_escalation': ['leader', 'admin'],
  'incident.note': ['officer', 'handler', 'leader', 'admin'],
};

/** The state (and escalation) each transition is tried from, so that only the role decides. */
const PRECONDITION: Record<string, { state: IncidentState; escalated?: boolean }> = {
  'incident.dispatch': { state: 'reported' },
  'incident.accept': { state: 'dispatched' },
  'incident.reject': { state: 'dispatched' },
  'incident.en_route': { state: 'accepted' },
  'incident.arrive': { state: 'accepted' },
  'incident.resolve': { state: 'on_site' },
  'incident.close': { state: 'resolved' },
  'incident.reopen': { state: 'resolved' },
  'incident.reassign': { state: 'dispatched' },
  'incident.escalate': { state: 'dispatched' },
  'incident.approve_escalation': { state: 'dispatched', escalated: true },
  'incident.return_escalation': { state: 'dispatched', escalated: true },
  'incident.note': { state: 'dispatched' },
};

function nextCommandId(): string {
  return `perm-${process.pid}-${++cmdSeq}`;
}

async function token(username: string): Promise<string> {
  tokens[username] ??= await login(server, username);
  return tokens[username]!;
}

async function command(username: string, body: Record<string, unknown>): Promise<CommandResult> {
  const r = await fetch(`${server.url}/api/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(username)}` },
    body: JSON.stringify({ commandId: nextCommandId(), ...body }),
  });
  const json = (await r.json()) as CommandResult | { error: NonNullable<Extract<CommandResult, { ok: false }>['error']> };
  // REST answers errors as `{ error }` with a matching HTTP status
  return r.ok ? (json as CommandResult) : { ok: false, error: (json as { error: Extract<CommandResult, { ok: false }>['error'] }).error };
}

async function get(path: string, username: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${await token(username)}` } });
  return { status: r.status, body: await r.json() };
}

async function must(username: string, body: Record<string, unknown>): Promise<Incident> {
  const r = await command(username, body);
  if (!r.ok || !r.incident) throw new Error(`setup ${String(body.type)} failed: ${JSON.stringify(r)}`);
  return r.incident;
}

/** A fresh incident, assigned to handler1 when past 'reported', brought to `state` by the admin. */
async function incidentIn(state: IncidentState, escalated = false): Promise<Incident> {
  let i = await must('admin', {
    type: 'incident.create',
    title: 'permission probe',
    category: 'gas-leak',
    scene: 'emergency',
    location: [120.38, 36.07],
    priority: 'P3',
  });
  const step = async (type: string, extra: Record<string, unknown> = {}) => {
    i = await must('admin', { type, incidentId: i.id, ...extra });
  };
  const path: IncidentState[] = ['dispatched', 'accepted', 'on_site', 'resolved'];
  const upTo = path.indexOf(state);
  if (upTo >= 0) await step('incident.dispatch', { assignees: ['handler1'] });
  if (upTo >= 1) await step('incident.accept');
  if (upTo >= 2) await step('incident.arrive');
  if (upTo >= 3) await step('incident.resolve', { note: 'fixed' });
  if (escalated) await step('incident.escalate', { note: 'need a decision' });
  expect(i.state).toBe(state);
  return i;
}

function commandBody(type: string, incidentId: string): Record<string, unknown> {
  const base = { type, incidentId, note: 'permission probe note' };
  if (type === 'incident.dispatch') return { ...base, assignees: ['handler1'] };
  if (type === 'incident.reassign') return { ...base, assignees: ['handler2'] };
  if (type === 'incident.arrive') return { ...base, location: [120.381, 36.071] };
  return base;
}

/** Raises a fresh open alert on its own gas detector and returns its id. */
async function raiseAlert(device: Device): Promise<string> {
  const r = await ingest(server, sign([{ deviceId: device.id, ts: Date.now(), seq: ++seq, metrics: { lel: 60 } }]));
  expect(r.body.accepted).toBe(1);
  for (let tries = 0; tries < 50; tries++) {
    const a = server.fusion.openAlertsOf(device.id)[0];
    if (a) return a.id;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`no alert on ${device.id}`);
}

beforeAll(async () => {
  // the matrix sets up its incidents as fast as one admin can send commands; the per-user command
  // budget is a requirement of its own (server/test/limits-entry.test.ts)
  server = await startTestServer({ commandRatePerS: 10_000, commandBurst: 10_000 });
});

afterAll(async () => {
  await server?.close();
});

describe('role × command permissions over the real server', () => {
  for (const [type, precondition] of Object.entries(PRECONDITION)) {
    for (const role of ROLES) {
      const allowed = ALLOWED[type]!.includes(role);
      it(`${allowed ? 'lets' : 'refuses'} ${role} ${type.slice('incident.'.length)}`, async () => {
        const incident = await incidentIn(precondition.state, precondition.escalated);
        const r = await command(ACTORS[role], commandBody(type, incident.id));
        if (allowed) {
          expect(r, JSON.stringify(r)).toMatchObject({ ok: true, duplicate: false });
        } else {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
          const after = await get(`/api/incidents/${incident.id}`, 'admin');
          expect(after.body.incident.version).toBe(incident.version);
        }
      });
    }
  }

  for (const role of ROLES) {
    const allowed = ALLOWED['incident.create']!.includes(role);
    it(`${allowed ? 'lets' : 'refuses'} ${role} create an incident${role === 'handler' ? ' (as a field report)' : ''}`, async () => {
      const r = await command(ACTORS[role], {
        type: 'incident.create',
        title: 'found on patrol',
        category: 'manhole',
        scene: 'water',
        location: [120.38, 36.07],
        priority: 'P3',
      });
      if (!allowed) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
        return;
      }
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.incident!.source).toBe(role === 'handler' ? 'field_report' : 'manual');
    });
  }

  it('lets only officers and admins link an alert to an existing incident, and marks the alert', async () => {
    const detectors = [...server.fusion.devices.values()].filter((d) => d.kind === 'gas-detector').slice(-ROLES.length);
    for (const [index, role] of ROLES.entries()) {
      const device = detectors[index]!;
      // a yellow reading: an alert that opens no incident of its own
      await ingest(server, sign([{ deviceId: device.id, ts: Date.now(), seq: ++seq, metrics: { lel: 12 } }]));
      const alert = server.fusion.openAlertsOf(device.id)[0];
      expect(alert, `alert on ${device.id}`).toBeDefined();
      const incident = await incidentIn('dispatched');
      const r = await command(ACTORS[role], { type: 'incident.link_alert', incidentId: incident.id, alertId: alert!.id });
      if (['officer', 'admin'].includes(role)) {
        expect(r, `${role}: ${JSON.stringify(r)}`).toMatchObject({ ok: true });
        if (r.ok) expect(r.incident!.alertIds).toContain(alert!.id);
        expect(server.fusion.getAlert(alert!.id)!.incidentId).toBe(incident.id);
        const again = await command(ACTORS[role], { type: 'incident.link_alert', incidentId: (await incidentIn('reported')).id, alertId: alert!.id });
        expect(again.ok).toBe(false);
        if (!again.ok) expect(again.error.code).toBe('E_CONFLICT');
      } else {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
      }
    }
  });

  it('lets only officers, leaders and admins acknowledge alerts', async () => {
    const detectors = [...server.fusion.devices.values()].filter((d) => d.kind === 'gas-detector');
    expect(detectors.length).toBeGreaterThanOrEqual(ROLES.length);
    for (const [index, role] of ROLES.entries()) {
      const alertId = await raiseAlert(detectors[index]!);
      const r = await command(ACTORS[role], { type: 'alert.ack', alertId });
      if (ALLOWED['alert.ack']!.includes(role)) expect(r, `${role}: ${JSON.stringify(r)}`).toMatchObject({ ok: true });
      else {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
      }
    }
  });

  it('refuses a handler every action on an incident assigned to someone else, and hides it from them', async () => {
    const cases: [string, IncidentState][] = [
      ['incident.accept', 'dispatched'],
      ['incident.reject', 'dispatched'],
      ['incident.note', 'dispatched'],
      ['incident.en_route', 'accepted'],
      ['incident.arrive', 'accepted'],
      ['incident.resolve', 'on_site'],
    ];
    for (const [type, state] of cases) {
      const incident = await incidentIn(state);
      const r = await command('handler2', commandBody(type, incident.id));
      expect(r.ok, `${type}: ${JSON.stringify(r)}`).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
    }
    const mine = await incidentIn('dispatched');
    expect((await get(`/api/incidents/${mine.id}`, 'handler2')).status).toBe(403);
    const list = await get('/api/incidents', 'handler2');
    expect(list.body.incidents.some((i: Incident) => i.id === mine.id)).toBe(false);
  });

  it('refuses a wall screen every command, over the socket too, and position reports', async () => {
    const incident = await incidentIn('reported');
    const socket: Socket = await liveSocket(server, await token('screen1'));
    try {
      for (const type of Object.keys(ALLOWED)) {
        const r = await emitAck<CommandResult>(socket, 'command', {
          commandId: nextCommandId(),
          ...commandBody(type, incident.id),
          title: 't',
          category: 'fire',
          scene: 'emergency',
          location: [120.38, 36.07],
          priority: 'P3',
          alertId: 'x',
        });
        expect(r.ok, type).toBe(false);
        if (!r.ok) expect(r.error.code, type).toBe('E_FORBIDDEN');
      }
      const pos = await emitAck<{ ok: boolean; error?: { code: string } }>(socket, 'handler:position', { location: [120.38, 36.07] });
      expect(pos.error?.code).toBe('E_FORBIDDEN');
    } finally {
      socket.close();
    }
  });

  it('limits the dispatch REST routes by role', async () => {
    const incident = await incidentIn('reported');
    const rec = `/api/incidents/${incident.id}/recommendations`;
    for (const role of ROLES) {
      const handlers = await get('/api/handlers', ACTORS[role]);
      expect(handlers.status, `handlers as ${role}`).toBe(['officer', 'leader', 'admin'].includes(role) ? 200 : 403);
      const r = await get(rec, ACTORS[role]);
      expect(r.status, `recommendations as ${role}`).toBe(['officer', 'admin'].includes(role) ? 200 : 403);
      const b = await get('/api/briefing', ACTORS[role]);
      expect(b.status, `briefing as ${role}`).toBe(['officer', 'leader', 'admin'].includes(role) ? 200 : 403);
      // the people directory: every person, not a screen
      const p = await get('/api/people', ACTORS[role]);
      expect(p.status, `people as ${role}`).toBe(role === 'screen' ? 403 : 200);
    }
    // names for accounts, nothing more; no administrator or screen account listed
    const { people } = (await get('/api/people', 'handler3')).body as { people: Record<string, unknown>[] };
    expect(people.find((x) => x.username === 'officer1')).toEqual({ username: 'officer1', displayName: '值班员 王磊', role: 'officer' });
    expect(people.some((x) => x.role === 'admin' || x.role === 'screen')).toBe(false);
    for (const x of people) expect(Object.keys(x).sort()).toEqual(['displayName', 'role', 'username']);
    // a gas specialist reports a position near the site → idle, skilled, nearest → first
    const phone = await liveSocket(server, await token('handler3'));
    try {
      expect(await emitAck(phone, 'handler:position', { location: [120.385, 36.072] })).toEqual({ ok: true });
    } finally {
      phone.close();
    }
    const ok = await get(rec, 'officer1');
    expect(ok.body.recommendations[0]).toMatchObject({ handlerId: 'handler3', status: 'idle', skillMatch: true });
    expect(ok.body.recommendations[0].distanceM).toBeGreaterThan(0);
    expect(ok.body.recommendations[0].distanceM).toBeLessThan(1000);
  });

  it('refuses an account from an address after repeated failed logins there (429, Retry-After)', async () => {
    const attempt = (password: string) =>
      fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'officer2', password }),
      });
    for (let i = 0; i < 5; i++) expect((await attempt('wrong-password')).status).toBe(401);
    // issue 12: locked per (username, source address), not account-wide (server/test/login-hardening.e2e.test.ts)
    const locked = await attempt('ioc-demo-2026');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('E_RATE_LIMIT');
  });
});
