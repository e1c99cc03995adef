/**
 * Rules REST (issue 11): catalogue defaults with per-asset and per-device overrides, validated by
 * the pure rules of scenes/rule-overrides.ts, compare-and-set, versioned with history, and live in
 * fusion from the next reading.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { login, startTestServer } from './helpers';

let server: IocServer;
let admin: string;
let officer: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await login(server, 'admin');
  officer = await login(server, 'officer1');
});
afterAll(async () => {
  await server?.close();
});

async function api(method: string, path: string, token: string, body?: unknown) {
  const r = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as any };
}

const RIVER_RULE = 'water.level.threshold';
const GAS_RULE = 'emergency.lel.threshold';

describe('rules', () => {
  it('lists every default with its unit and the seeded river overrides (each river its own levels)', async () => {
    const { status, body } = await api('GET', '/rules', officer);
    expect(status).toBe(200);
    const river = body.rules.find((l: { rule: { id: string } }) => l.rule.id === RIVER_RULE);
    expect(river).toMatchObject({ unit: 'm', version: 0, enabled: true });
    const zhangcun = river.overrides.find((o: { target: { id: string } }) => o.target.id === 'river-zhangcun');
    expect(zhangcun).toMatchObject({ target: { type: 'asset' }, version: 1, updatedBy: 'seed' });
    expect(zhangcun.patch.limits.red).not.toBe(5.8);
  });

  it('puts a device override (live in fusion), refuses a stale version with E_CONFLICT and keeps the history', async () => {
    const device = [...server.fusion.devices.values()].find((d) => d.kind === 'water-level')!;
    const path = `/rules/${RIVER_RULE}/overrides/device/${device.id}`;
    const put = await api('PUT', path, admin, { patch: { limits: { yellow: 1, orange: 2, red: 3 } }, expectedVersion: 0 });
    expect(put.status).toBe(200);
    expect(put.body.override).toMatchObject({ version: 1, updatedBy: 'admin' });
    const live = server.fusion.rulesOf(device.id).find((r) => r.id === RIVER_RULE) as unknown as { limits: object; source: string };
    expect(live).toMatchObject({ limits: { yellow: 1, orange: 2, red: 3 }, source: 'device' });

    const stale = await api('PUT', path, admin, { patch: { limits: { yellow: 1, orange: 2, red: 4 } }, expectedVersion: 0 });
    expect(stale.body.error.code).toBe('E_CONFLICT');
    const [a, b] = await Promise.all([
      api('PUT', path, admin, { patch: { limits: { yellow: 1, orange: 2, red: 4 } }, expectedVersion: 1 }),
      api('PUT', path, admin, { patch: { limits: { yellow: 1, orange: 2, red: 5 } }, expectedVersion: 1 }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);

    const del = await api('DELETE', `${path}?expectedVersion=2`, admin);
    expect(del.status).toBe(200);
    expect((server.fusion.rulesOf(device.id).find((r) => r.id === RIVER_RULE) as unknown as { source: string }).source).not.toBe('device');
    const history = await api('GET', `/rules/${RIVER_RULE}/history`, officer);
    const mine = history.body.changes.filter((c: { target: { id: string } }) => c.target.id === device.id);
    expect(mine.map((c: { version: number; updatedBy: string; next: unknown }) => [c.version, c.updatedBy, c.next === null])).toEqual([
      [1, 'admin', false],
      [2, 'admin', false],
      [3, 'admin', true],
    ]);
    expect(mine[1].previous).toEqual({ limits: { yellow: 1, orange: 2, red: 3 } });
  });

  it('refuses limits out of order, unknown targets, wrong kinds, reserved ids and non-admins', async () => {
    const device = [...server.fusion.devices.values()].find((d) => d.kind === 'water-level')!;
    const other = [...server.fusion.devices.values()].find((d) => d.kind !== 'water-level')!;
    const put = (path: string, body: unknown, token = admin) => api('PUT', path, token, body);
    expect(
      (await put(`/rules/${RIVER_RULE}/overrides/device/${device.id}`, { patch: { limits: { yellow: 3, orange: 2, red: 1 } }, expectedVersion: 0 }))
        .body.error.code,
    ).toBe('E_VALIDATION');
    expect((await put(`/rules/${RIVER_RULE}/overrides/device/no-such`, { patch: {}, expectedVersion: 0 })).body.error.code).toBe('E_NOT_FOUND');
    expect((await put(`/rules/${RIVER_RULE}/overrides/device/${other.id}`, { patch: {}, expectedVersion: 0 })).body.error.code).toBe('E_VALIDATION');
    expect((await put(`/rules/${RIVER_RULE}/overrides/device/__proto__`, { patch: {}, expectedVersion: 0 })).body.error.code).toBe('E_VALIDATION');
    expect((await put(`/rules/${RIVER_RULE}/overrides/planet/x`, { patch: {}, expectedVersion: 0 })).body.error.code).toBe('E_VALIDATION');
    expect((await put(`/rules/no.such.rule`, { patch: {}, expectedVersion: 0 })).body.error.code).toBe('E_NOT_FOUND');
    expect((await put(`/rules/${GAS_RULE}`, { patch: { enabled: false }, expectedVersion: 0 }, officer)).body.error.code).toBe('E_FORBIDDEN');
    for (const who of ['handler1', 'screen1']) expect((await api('GET', '/rules', await login(server, who))).body.error.code).toBe('E_FORBIDDEN');
  });

  it('edits a default with compare-and-set and lists its new version', async () => {
    const edit = await api('PUT', `/rules/${RIVER_RULE}`, admin, { patch: { hysteresis: 0.1 }, expectedVersion: 0 });
    expect(edit.status).toBe(200);
    expect(edit.body.record).toMatchObject({ version: 1, updatedBy: 'admin' });
    expect((await api('PUT', `/rules/${RIVER_RULE}`, admin, { patch: { hysteresis: 0.2 }, expectedVersion: 0 })).body.error.code).toBe('E_CONFLICT');
    const listed = (await api('GET', '/rules', admin)).body.rules.find((l: { rule: { id: string } }) => l.rule.id === RIVER_RULE);
    expect(listed).toMatchObject({ version: 1, rule: { hysteresis: 0.1 } });
  });
});
