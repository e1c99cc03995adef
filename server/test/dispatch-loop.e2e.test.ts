/**
 * The dispatch loop over the real server without a browser: alert → auto incident →
 * recommendations → dispatch with its impact block (随派单发送) → the handler's socket hears of it
 * and reads the block back → accept / en route / arrive → photo upload + resolve → close; the
 * briefing counts it; handler list and positions work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device, Incident } from '../../scenes/domain';
import type { CommandResult } from '../../scenes/protocol';
import type { DispatchImpact } from '../../scenes/impact/dispatch-impact';
import { emitAck, ingest, liveSocket, login, sign, startTestServer } from './helpers';

let server: IocServer;
let officer: Socket;
let phone: Socket;
let officerToken: string;
let handlerToken: string;
let n = 0;

/** smallest valid PNG signature + padding: the server checks magic bytes, not decodability */
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);

beforeAll(async () => {
  server = await startTestServer();
  officerToken = await login(server, 'officer1');
  handlerToken = await login(server, 'handler3');
  officer = await liveSocket(server, officerToken);
  phone = await liveSocket(server, handlerToken);
});

afterAll(async () => {
  officer?.close();
  phone?.close();
  await server?.close();
});

function cmd(socket: Socket, body: Record<string, unknown>): Promise<CommandResult> {
  return emitAck<CommandResult>(socket, 'command', { commandId: `loop-${++n}-${Date.now()}`, ...body });
}

async function get(path: string, token: string): Promise<any> {
  const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(r.status, path).toBe(200);
  return r.json();
}

describe('dispatch loop (server)', () => {
  it('runs from a red gas alert to a closed incident with a photo, and the briefing counts it', async () => {
    const detector = [...server.fusion.devices.values()].find((d): d is Device => d.kind === 'gas-detector')!;
    expect(await emitAck(phone, 'handler:position', { location: [detector.location[0] + 0.002, detector.location[1]] })).toEqual({ ok: true });

    const r = await ingest(server, sign([{ deviceId: detector.id, ts: Date.now(), seq: 1, metrics: { lel: 70 } }]));
    expect(r.body.accepted).toBe(1);
    let incident: Incident | undefined;
    for (let i = 0; i < 100 && !incident; i++) {
      incident = [...server.fusion.incidents.values()].find((x) => x.deviceId === detector.id);
      if (!incident) await new Promise((res) => setTimeout(res, 20));
    }
    expect(incident).toMatchObject({ state: 'reported', priority: 'P1', category: 'gas-leak' });
    const id = incident!.id;

    const { recommendations } = await get(`/api/incidents/${id}/recommendations`, officerToken);
    expect(recommendations[0]).toMatchObject({ handlerId: 'handler3', status: 'idle', skillMatch: true });
    expect(recommendations[0].etaMin).toBeGreaterThanOrEqual(1);

    const heard = new Promise<{ incident: Incident; ts: number }>((resolve) =>
      phone.on('incident:update', (i: Incident) => {
        if (i.id === id && i.state === 'dispatched') resolve({ incident: i, ts: Date.now() });
      }),
    );
    // 随派单发送: the impact block is a typed field; an oversize one is refused whole, before any state change
    const impact: DispatchImpact = {
      radiusM: 500,
      center: detector.location,
      counts: { communities: 2, shelters: 1, shelterFreePlaces: 300, facilities: null, otherAssets: 4, devices: 12, alertingDevices: 1 },
      resources: [{ name: '市南消防救援站', nameEn: 'Shinan Fire Station', quantity: 7, unit: 'member' }],
    };
    const dispatchBody = {
      type: 'incident.dispatch',
      incidentId: id,
      assignees: ['handler3'],
      expectedVersion: incident!.version,
      note: '带上燃气检测仪',
    };
    const oversize = await cmd(officer, { ...dispatchBody, impact: { ...impact, resources: Array.from({ length: 51 }, () => impact.resources[0]) } });
    expect(!oversize.ok && oversize.error.code).toBe('E_VALIDATION');
    const garbage = await cmd(officer, { ...dispatchBody, impact: { ...impact, radiusM: 'far' } });
    expect(!garbage.ok && garbage.error.code).toBe('E_VALIDATION');
    expect(server.fusion.incidents.get(id)!.state).toBe('reported');

    const sentTs = Date.now();
    const d = await cmd(officer, { ...dispatchBody, impact });
    expect(d.ok).toBe(true);
    const push = await heard;
    console.log(`[dispatch-loop e2e] dispatch command → handler socket push: ${push.ts - sentTs} ms`);
    expect(push.incident.assignees).toEqual(['handler3']);
    // the handler's phone reads it back from the incident, beside the note exactly as typed
    const pushedStep = push.incident.history.find((h) => h.action === 'dispatch')!;
    expect(pushedStep).toMatchObject({ note: '带上燃气检测仪', impact });
    const listed = await emitAck<{ ok: true; incidents: Incident[] }>(phone, 'incidents:list', {});
    expect(listed.incidents.find((i) => i.id === id)!.history.find((h) => h.action === 'dispatch')!.impact).toEqual(impact);
    expect((await server.store.getIncident(id))!.history.find((h) => h.action === 'dispatch')).toMatchObject({ note: '带上燃气检测仪', impact });
    expect(server.fusion.getHandler('handler3')!.status).toBe('busy');

    expect((await cmd(phone, { type: 'incident.accept', incidentId: id })).ok).toBe(true);
    expect((await cmd(phone, { type: 'incident.en_route', incidentId: id })).ok).toBe(true);
    expect((await cmd(phone, { type: 'incident.arrive', incidentId: id, location: detector.location })).ok).toBe(true);

    const up = await fetch(`${server.url}/api/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${handlerToken}`, 'content-type': 'image/png' },
      body: PNG,
    });
    expect(up.status).toBe(201);
    const photoId = ((await up.json()) as { id: string }).id;
    const bad = await fetch(`${server.url}/api/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${handlerToken}`, 'content-type': 'image/png' },
      body: Buffer.from('not an image'),
    });
    expect(bad.status).toBe(400);

    const resolved = await cmd(phone, { type: 'incident.resolve', incidentId: id, note: '关阀，复测正常', photos: [photoId] });
    expect(resolved.ok && resolved.incident?.photos).toEqual([photoId]);
    const closed = await cmd(officer, { type: 'incident.close', incidentId: id });
    expect(closed.ok && closed.incident?.state).toBe('closed');
    expect(server.fusion.getHandler('handler3')!.status).toBe('idle');

    const b = await get('/api/briefing', await login(server, 'leader1'));
    expect(b.today.incidentsClosed).toBe(1);
    expect(b.today.incidentsResolved).toBe(1);
    expect(b.today.slaCompliancePct).toBe(100);
    expect(b.incidents.byScene.emergency.at(-1)).toBe(1);
    expect(b.alerts.byScene.emergency.at(-1)).toBeGreaterThanOrEqual(1);

    const { handlers } = await get('/api/handlers', officerToken);
    expect(handlers.find((h: { id: string }) => h.id === 'handler3')).toMatchObject({ status: 'idle', skills: expect.arrayContaining(['gas-leak']) });
  });

  it('puts a handler an admin creates at runtime on the roster, with skills from the incident categories only', async () => {
    const admin = await login(server, 'admin');
    const call = async (path: string, body: unknown, token: string, method = 'POST') => {
      const r = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as any };
    };
    const user = { username: 'handler9', displayName: '新队员', role: 'handler', team: '燃气抢险队', password: 'Given-By-Admin-9' };
    // a skill outside the catalogue would never match an incident: refused, nothing created
    const bad = await call('/api/users', { ...user, skills: ['燃气'] }, admin);
    expect(bad.body.error.code).toBe('E_VALIDATION');
    expect(server.fusion.getHandler('handler9')).toBeUndefined();
    expect((await call('/api/users', { ...user, skills: ['gas-leak', 'fire'] }, admin)).status).toBe(201);
    // on the roster at once (no restart), and their phone's position counts
    expect(server.fusion.getHandler('handler9')).toMatchObject({ name: '新队员', team: '燃气抢险队', skills: ['gas-leak', 'fire'] });
    const first = await call('/api/auth/login', { username: 'handler9', password: 'Given-By-Admin-9' }, '');
    const own = await call('/api/auth/password', { currentPassword: 'Given-By-Admin-9', newPassword: 'Own-Choice-Of-H9' }, first.body.token);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const phone9 = await liveSocket(server, own.body.token);
    try {
      expect(await emitAck(phone9, 'handler:position', { location: [120.38, 36.07] })).toEqual({ ok: true });
      const { handlers } = await get('/api/handlers', officerToken);
      expect(handlers.find((h: { id: string }) => h.id === 'handler9')).toMatchObject({ status: 'idle', location: [120.38, 36.07] });
    } finally {
      phone9.close();
    }
    // a skills change reaches the roster too
    expect((await call('/api/users/handler9', { skills: ['elevator'] }, admin, 'PATCH')).status).toBe(200);
    expect(server.fusion.getHandler('handler9')!.skills).toEqual(['elevator']);
    // disabled (left the service, nothing assigned): off the roster
    expect((await call('/api/users/handler9', { disabled: true }, admin, 'PATCH')).status).toBe(200);
    expect(server.fusion.getHandler('handler9')).toBeUndefined();
  });
});
