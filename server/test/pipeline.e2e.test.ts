/**
 * End to end: a real server, readings through POST /api/ingest, a real socket.io-client watching
 * scenes, commands with retries and races, and malformed input on every entry point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device, Incident, ThresholdRule } from '../../scenes/domain';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { CommandResult, SceneJoinResult } from '../../scenes/protocol';
import { DeltaCollector, emitAck, ingest, liveSocket, login, sign, startTestServer } from './helpers';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';

let server: IocServer;
const METRICS_TOKEN = 'pipeline-metrics-token';
let screen: Socket;
let officer: Socket;
let officerToken: string;
let strainDevice: Device;
const strainRule = DEFAULT_RULES.find((r) => r.id === 'bridge.strain.threshold') as ThresholdRule;
let seq = 1;

beforeAll(async () => {
  server = await startTestServer({ metricsToken: METRICS_TOKEN });
  strainDevice = [...server.fusion.devices.values()].find((d) => d.kind === 'strain-gauge')!;
  screen = await liveSocket(server, await login(server, 'screen1'));
  officerToken = await login(server, 'officer1');
  officer = await liveSocket(server, officerToken);
});

afterAll(async () => {
  screen?.close();
  officer?.close();
  await server?.close();
});

function strainReading(value: number, ts: number) {
  return { deviceId: strainDevice.id, ts, seq: seq++, metrics: { strain: value } };
}

describe('core pipeline', () => {
  let incident: Incident;

  it('sends a snapshot on join, then a coalesced delta for new telemetry, an alert and an auto-created incident', async () => {
    const deltas = new DeltaCollector(screen);
    const join = await emitAck<SceneJoinResult>(screen, 'scene:join', { scene: 'bridge' });
    expect(join.ok).toBe(true);
    if (!join.ok || join.mode !== 'snapshot') throw new Error('expected a snapshot');
    const snap = join.snapshot;
    expect(snap.model.scene).toBe('bridge');
    expect(snap.model.devices.some((d) => d.id === strainDevice.id)).toBe(true);
    expect(snap.model.devices.find((d) => d.id === strainDevice.id)!.s).toBe('offline');

    // normal reading: the device comes online → a delta that puts it as 'normal'
    const now = Date.now();
    const r1 = await ingest(server, sign([strainReading(120, now - 60_000)]));
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [] });
    const online = await deltas.waitFor((d) => !!d.delta.devices?.put?.some((p) => p.id === strainDevice.id && p.s === 'normal'));
    expect(online.prevRev).toBe(snap.rev);

    // over the red limit for longer than the rule's minimum duration
    const over = strainRule.limits.red! + 40;
    const steps = Math.ceil(strainRule.minDurationMs / 5000) + 2;
    const batch = Array.from({ length: steps }, (_, i) => strainReading(over, now - 50_000 + i * 5000));
    const r2 = await ingest(server, sign(batch));
    expect(r2.body.accepted).toBe(steps);

    const alertDelta = await deltas.waitFor((d) => !!d.delta.alerts?.put?.some((a) => a.deviceId === strainDevice.id && a.level === 'red'));
    const alert = alertDelta.delta.alerts!.put!.find((a) => a.deviceId === strainDevice.id)!;
    expect(alert.title).toBe(strainRule.title);
    await deltas.waitFor((d) => !!d.delta.devices?.put?.some((p) => p.id === strainDevice.id && p.s === 'red'));
    const incDelta = await deltas.waitFor((d) => !!d.delta.incidents?.put?.some((i) => i.level === 'red' && i.state === 'reported'));
    const item = incDelta.delta.incidents!.put!.find((i) => i.level === 'red')!;
    expect(item.priority).toBe('P1');
    expect(item.scene).toBe('bridge');

    // revisions are gap-free
    for (let i = 1; i < deltas.deltas.length; i++) expect(deltas.deltas[i]!.prevRev).toBe(deltas.deltas[i - 1]!.rev);

    const r = await fetch(`${server.url}/api/incidents/${item.id}`, { headers: { authorization: `Bearer ${officerToken}` } });
    incident = ((await r.json()) as { incident: Incident }).incident;
    expect(incident.alertIds).toContain(alert.id);

    // replay: the readings behind the incident come back from the store
    const behind = await emitAck<{ ok: boolean; readings: { deviceId: string; readings: { metrics: { strain?: number } }[] } }>(
      officer,
      'incident:readings',
      {
        incidentId: item.id,
      },
    );
    expect(behind.ok).toBe(true);
    expect(behind.readings.deviceId).toBe(strainDevice.id);
    expect(behind.readings.readings.filter((r) => r.metrics.strain === over).length).toBe(steps);

    // the alert is not duplicated by more readings over the limit
    await ingest(server, sign([strainReading(over + 5, Date.now())]));
    const openForDevice = server.fusion.openAlertsOf(strainDevice.id).filter((a) => a.ruleId === strainRule.id);
    expect(openForDevice).toHaveLength(1);
  });

  it('coalesces telemetry: a burst of 40 batches yields at most a few frames per coalescing interval', async () => {
    const other = [...server.fusion.devices.values()].filter((d) => d.kind === 'strain-gauge' && d.scene === 'bridge').slice(1, 6);
    const deltas = new DeltaCollector(screen);
    const t0 = Date.now();
    const seqs = new Map<string, number>();
    for (let b = 0; b < 40; b++) {
      await ingest(
        server,
        sign(
          other.map((d) => ({
            deviceId: d.id,
            ts: Date.now(),
            seq: (seqs.set(d.id, (seqs.get(d.id) ?? 0) + 1), seqs.get(d.id)!),
            metrics: { strain: 100 + b },
          })),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 300));
    const elapsed = Date.now() - t0;
    const maxFrames = Math.ceil(elapsed / 100) + 2; // coalesceIntervalMs = 100 in tests
    expect(deltas.deltas.length).toBeGreaterThan(0);
    expect(deltas.deltas.length).toBeLessThanOrEqual(maxFrames);
  });

  it('drops duplicate readings and never moves state backwards on out-of-order ones', async () => {
    const d = [...server.fusion.devices.values()].find((x) => x.kind === 'deflection')!;
    const now = Date.now();
    const a = { deviceId: d.id, ts: now - 2000, seq: 10, metrics: { deflection: 11 } };
    const b = { deviceId: d.id, ts: now - 1000, seq: 12, metrics: { deflection: 12 } };
    expect((await ingest(server, sign([a, b]))).body).toMatchObject({ accepted: 2 });
    const again = await ingest(server, sign([b]));
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
    const late = await ingest(server, sign([{ deviceId: d.id, ts: now - 1500, seq: 11, metrics: { deflection: 99 } }]));
    expect(late.body).toMatchObject({ accepted: 0, outOfOrder: 1 });
    expect(server.fusion.deviceStates.get(d.id)!.metrics.deflection).toBe(12);
    expect(server.fusion.deviceStates.get(d.id)!.lastSeq).toBe(12);
  });

  it('applies a retried dispatch exactly once (idempotent by commandId)', async () => {
    const cmd = {
      type: 'incident.dispatch',
      commandId: 'e2e-dispatch-0001',
      incidentId: incident.id,
      assignees: ['handler1'],
      expectedVersion: incident.version,
    };
    const first = await emitAck<CommandResult>(officer, 'command', cmd);
    const second = await emitAck<CommandResult>(officer, 'command', cmd);
    expect(first).toMatchObject({ ok: true, duplicate: false });
    expect(second).toMatchObject({ ok: true, duplicate: true });
    if (!first.ok || !second.ok) throw new Error('unreachable');
    expect(second.incident!.version).toBe(first.incident!.version);
    const stored = await server.store.getIncident(incident.id);
    expect(stored!.version).toBe(incident.version + 1);
    expect(stored!.history.filter((h) => h.action === 'dispatch')).toHaveLength(1);
    incident = stored!;
  });

  it('lets exactly one of two concurrent conflicting commands win', async () => {
    const officer2 = await liveSocket(server, await login(server, 'officer2'));
    try {
      const base = { type: 'incident.reassign', incidentId: incident.id, expectedVersion: incident.version };
      const [a, b] = await Promise.all([
        emitAck<CommandResult>(officer, 'command', { ...base, commandId: 'e2e-race-a-0001', assignees: ['handler2'] }),
        emitAck<CommandResult>(officer2, 'command', { ...base, commandId: 'e2e-race-b-0001', assignees: ['handler3'] }),
      ]);
      const results = [a, b];
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const loser = results.find((r) => !r.ok);
      expect(loser && !loser.ok && loser.error.code).toBe('E_CONFLICT');
      const stored = await server.store.getIncident(incident.id);
      expect(stored!.version).toBe(incident.version + 1);
    } finally {
      officer2.close();
    }
  });

  it('tells officers and the assigned handler about incident changes at once', async () => {
    const handler = await liveSocket(server, await login(server, 'handler4'));
    try {
      const current = (await server.store.getIncident(incident.id))!;
      const got = new Promise<Incident>((resolve) => handler.once('incident:update', resolve));
      const r = await emitAck<CommandResult>(officer, 'command', {
        type: 'incident.reassign',
        commandId: 'e2e-reassign-h4-01',
        incidentId: incident.id,
        expectedVersion: current.version,
        assignees: ['handler4'],
      });
      expect(r.ok).toBe(true);
      const update = await got;
      expect(update.assignees).toEqual(['handler4']);
      const denied = await emitAck<CommandResult>(handler, 'command', {
        type: 'incident.close',
        commandId: 'e2e-h4-close-001',
        incidentId: incident.id,
      });
      expect(denied.ok).toBe(false);
      if (!denied.ok) expect(denied.error.code).toBe('E_FORBIDDEN');
    } finally {
      handler.close();
    }
  });
});

describe('malformed input is rejected with a typed error and the server stays up', () => {
  it('rejects a non-JSON ingest body, a wrong shape, and bad readings one by one', async () => {
    const raw = await fetch(`${server.url}/api/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"readings": [' });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as any).error.code).toBe('E_VALIDATION');

    const shape = await ingest(server, 'nope' as unknown as unknown[]);
    expect(shape.status).toBe(400);
    expect(shape.body.error.code).toBe('E_VALIDATION');

    const d = strainDevice;
    const good = { deviceId: d.id, ts: Date.now(), seq: 100_000, metrics: { strain: 50 }, token: deviceToken(DEV_DEVICE_SECRET, d.id) };
    const mixed = await ingest(server, [
      good,
      { ...good, seq: 100_001, token: 'x'.repeat(43) },
      { ...good, seq: 100_002, metrics: { strain: 'high' } },
      { ...good, seq: 100_003, deviceId: '__proto__' },
      { ...good, seq: 100_004, deviceId: 'no-such-device' },
      { ...good, seq: 100_005, metrics: { bogus: 1 } },
      { ...good, seq: 100_006, ts: Date.now() + 3600_000 },
      null,
    ]);
    expect(mixed.status).toBe(200);
    expect(mixed.body.accepted).toBe(1);
    expect(mixed.body.rejected.map((r: { code: string }) => r.code)).toEqual([
      'E_UNAUTHORIZED',
      'E_VALIDATION',
      'E_NOT_FOUND', // credentials are checked before the schema: `__proto__` is no device
      'E_NOT_FOUND',
      'E_VALIDATION',
      'E_VALIDATION',
      'E_VALIDATION',
    ]);
  });

  it('rejects bad logins, bad REST bodies and unauthenticated calls with typed errors', async () => {
    const bad = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 5 }),
    });
    expect(bad.status).toBe(400);
    const wrong = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'officer1', password: 'nope' }),
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error.code).toBe('E_UNAUTHORIZED');
    const noAuth = await fetch(`${server.url}/api/incidents`);
    expect(noAuth.status).toBe(401);
    const cmd = await fetch(`${server.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${officerToken}` },
      body: JSON.stringify({ type: 'incident.explode', commandId: 'x' }),
    });
    expect(cmd.status).toBe(400);
    expect(((await cmd.json()) as any).error.code).toBe('E_VALIDATION');
  });

  it('gives screens joining at the same revision the same snapshot, and a later revision a new one', async () => {
    const [a, b] = await Promise.all([liveSocket(server, await login(server, 'screen1')), liveSocket(server, await login(server, 'screen1'))]);
    try {
      const [ja, jb] = await Promise.all([
        emitAck<SceneJoinResult>(a, 'scene:join', { scene: 'community' }),
        emitAck<SceneJoinResult>(b, 'scene:join', { scene: 'community' }),
      ]);
      if (!ja.ok || ja.mode !== 'snapshot' || !jb.ok || jb.mode !== 'snapshot') throw new Error('expected two snapshots');
      expect(jb.snapshot.rev).toBe(ja.snapshot.rev);
      expect(jb.snapshot).toEqual(ja.snapshot);
      expect(ja.snapshot.model.devices.length).toBeGreaterThan(0);
      // a device of the scene comes online: the next joiner's snapshot has a newer revision and shows it
      const device = [...server.fusion.devices.values()].find((d) => d.scene === 'community' && !server.fusion.deviceStates.get(d.id)?.online)!;
      const spec = DEFAULT_RULES.find((r) => r.deviceKind === device.kind && r.type !== 'offline') as ThresholdRule | undefined;
      const metric = spec?.metric ?? 'battery';
      expect((await ingest(server, sign([{ deviceId: device.id, ts: Date.now(), seq: 1, metrics: { [metric]: 0 } }]))).body.accepted).toBe(1);
      const c = await liveSocket(server, await login(server, 'screen1'));
      try {
        const jc = await emitAck<SceneJoinResult>(c, 'scene:join', { scene: 'community' });
        if (!jc.ok || jc.mode !== 'snapshot') throw new Error('expected a snapshot');
        expect(jc.snapshot.rev).toBeGreaterThan(ja.snapshot.rev);
        expect(jc.snapshot.model.devices.find((p) => p.id === device.id)?.s).not.toBe('offline');
      } finally {
        c.close();
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('rejects bad socket events with typed acks, and bad handshakes on both namespaces', async () => {
    const join = await emitAck<SceneJoinResult>(screen, 'scene:join', { scene: 'mars' });
    expect(join.ok).toBe(false);
    if (!join.ok) expect(join.error.code).toBe('E_VALIDATION');
    const cmd = await emitAck<CommandResult>(screen, 'command', { type: 'alert.ack', commandId: 'screen-ack-0001', alertId: 'x' });
    expect(cmd.ok).toBe(false);
    if (!cmd.ok) expect(cmd.error.code).toBe('E_FORBIDDEN');
    const garbage = await emitAck<CommandResult>(officer, 'command', [1, 2, 3]);
    expect(garbage.ok).toBe(false);
    if (!garbage.ok) expect(garbage.error.code).toBe('E_VALIDATION');
    const detail = await emitAck<{ ok: boolean; error?: { code: string } }>(screen, 'device:detail', { deviceId: { $gt: '' } });
    expect(detail.error?.code).toBe('E_VALIDATION');

    for (const [nsp, auth, code] of [
      ['/live', { token: 'not-a-jwt-token', protocol: 1 }, 'E_UNAUTHORIZED'],
      ['/live', { token: officerToken, protocol: 999 }, 'E_PROTOCOL'],
      ['/device', { deviceId: strainDevice.id, token: 'y'.repeat(43) }, 'E_UNAUTHORIZED'],
    ] as const) {
      const s = io(`${server.url}${nsp}`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
      const err = await new Promise<Error>((resolve) => s.once('connect_error', resolve));
      expect(err.message).toBe(code);
      s.close();
    }

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/ioc_readings_total\{verdict="accepted"\} [1-9]/);
    expect(metrics).toMatch(/ioc_readings_total\{verdict="rejected"\} [1-9]/);
    expect(metrics).toContain('ioc_connected_clients{namespace="live"}');
    expect(metrics).toContain('ioc_event_loop_lag_p99_seconds');

    // the detailed health is for the metrics token (anonymous callers get the status only)
    const health = await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', store: 'memory' });
  });

  it('accepts readings over the /device namespace with per-reading acks', async () => {
    const s = io(`${server.url}/device`, {
      auth: { deviceId: strainDevice.id, token: deviceToken(DEV_DEVICE_SECRET, strainDevice.id) },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    const ok = await s
      .timeout(5000)
      .emitWithAck('readings', { readings: sign([{ deviceId: strainDevice.id, ts: Date.now(), seq: 200_000, metrics: { strain: 60 } }]) });
    expect(ok).toMatchObject({ ok: true, accepted: 1 });
    const bad = await s.timeout(5000).emitWithAck('readings', { readings: 'x' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    s.close();
  });
});
