/**
 * The simulator's run loop over MQTT: devices read from a real (in-process) server's registry, each
 * connected to a broker on its own connection with its registry token, readings published there.
 * The broker is a tiny aedes in the test, checking the demo tokens itself (the server's embedded
 * broker is tested on the server side).
 */
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AuthenticateError } from 'aedes';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFleet } from '../scenes/fleet';
import type { IocServer } from '../server/app';
import { deviceToken, DEV_DEVICE_SECRET } from '../server/device-token';
import { startTestServer } from '../server/test/helpers';
import { resolveCliConfig } from './cli-config';
import { runFleet } from './main';
import { telemetryTopic } from './mqtt-gateway';

const FLEET = generateFleet({ count: 12, seed: 5 });

let dir: string;
let server: IocServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-sim-mqtt-'));
  server = await startTestServer({}, { devices: FLEET });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

it("runs the fleet over MQTT: one connection per registry device with its token, readings on the device's telemetry topic", async () => {
  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      if (username && password?.toString() === deviceToken(DEV_DEVICE_SECRET, username)) return done(null, true);
      const err = new Error('bad username or password') as AuthenticateError;
      err.returnCode = 4;
      done(err, null);
    },
  });
  const telemetryBy = new Map<string, number>();
  const clientIds = new Set<string>();
  broker.on('clientReady', (c) => clientIds.add(c.id));
  broker.on('publish', (packet, client) => {
    const m = /^ioc\/v1\/([^/]+)\/telemetry$/.exec(packet.topic);
    if (m && client?.id === `ioc-sim-${m[1]}`) telemetryBy.set(m[1], (telemetryBy.get(m[1]) ?? 0) + 1);
  });
  const tcp = createServer(broker.handle);
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const mqttUrl = `mqtt://127.0.0.1:${(tcp.address() as AddressInfo).port}`;

  const cfg = resolveCliConfig(
    { server: server.url, rate: '50', 'control-port': '0', protocol: 'mqtt', 'mqtt-url': mqttUrl },
    { NODE_ENV: 'test', IOC_SIM_TOKENS_FILE: join(dir, 'tokens.json') },
  );
  if (!cfg.ok) throw new Error(cfg.error.message);
  const logs: string[] = [];
  const abort = new AbortController();
  const running = runFleet(cfg.config, { handlers: false, signal: abort.signal, log: (l) => logs.push(l) });
  try {
    const deadline = Date.now() + 20_000;
    while (FLEET.some((d) => !telemetryBy.has(d.id))) {
      if (Date.now() > deadline) throw new Error(`not every device published; logs:\n${logs.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    abort.abort();
    await running;
    await new Promise<void>((r) => broker.close(() => r()));
    tcp.close();
  }
  expect(clientIds).toEqual(new Set(FLEET.map((d) => `ioc-sim-${d.id}`)));
  expect(telemetryTopic(FLEET[0].id)).toBe(`ioc/v1/${FLEET[0].id}/telemetry`);
  expect(logs.join('\n')).toMatch(/speaking MQTT to mqtt:\/\/127\.0\.0\.1/);
  expect(logs.at(-1)).toMatch(/stopped: \[devices\] mqtt .*accepted [1-9]/);
});
