/**
 * The README's example, with the real Mosquitto command-line client (Debian `mosquitto-clients`)
 * against the embedded broker: `mosquitto_pub -u <deviceId> -P <token>` moves that device, a wrong
 * password is refused (exit code 4, CONNACK "bad user name or password"). Outside CI a missing
 * `mosquitto_pub` is a loud skip naming the package; in CI it fails.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { startTestServer } from './helpers';

const MOSQUITTO_PUB = ['/usr/bin/mosquitto_pub', '/usr/local/bin/mosquitto_pub'].find((p) => existsSync(p)) ?? null;
if (!MOSQUITTO_PUB) {
  const message = 'mosquitto_pub not found: install the Debian package `mosquitto-clients` to run the MQTT command-line tests';
  if (process.env.CI) throw new Error(`${message} — they cannot be skipped in CI`);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
}

function pub(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(MOSQUITTO_PUB!, args, { timeout: 15_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
    ),
  );
}

describe.skipIf(!MOSQUITTO_PUB)('mosquitto_pub against the embedded broker', () => {
  let server: IocServer;
  beforeAll(async () => {
    server = await startTestServer({ mqttPort: 0, mqttPortExplicit: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('moves the device whose id and token it names, and is refused with a wrong password', async () => {
    const device = [...server.fusion.devices.values()].find((d) => d.kind === 'strain-gauge' && d.status === 'active')!;
    const seq = 9_000_000;
    const reading = JSON.stringify({ ts: Date.now(), seq, metrics: { strain: 123.4 } });
    const base = ['-V', 'mqttv311', '-h', '127.0.0.1', '-p', String(server.mqttPort), '-q', '1', '-t', `ioc/v1/${device.id}/telemetry`];
    const ok = await pub([...base, '-u', device.id, '-P', deviceToken(DEV_DEVICE_SECRET, device.id), '-m', reading]);
    expect(ok, ok.stderr).toMatchObject({ code: 0 });
    // the PUBACK came after ingest answered: the reading is fused already
    expect(server.fusion.deviceStates.get(device.id)).toMatchObject({ lastSeq: seq, metrics: { strain: 123.4 } });

    const wrong = await pub([...base, '-u', device.id, '-P', 'not-the-token-of-this-device', '-m', reading]);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/bad user name or password/i);
  });
});
