/**
 * The bench's light `/live` client against a real server: it joins a scene with a screen token,
 * answers the server's pings, sees a device come online in a frame, and reads each distinct frame
 * once however many sockets receive it; a bad token is refused at CONNECT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../scenes/domain';
import type { IocServer } from '../server/app';
import { ingest, login, sign, startTestServer } from '../server/test/helpers';
import { connectLight, type FrameDigest } from './light-ioc-client';

let server: IocServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = await login(server, 'screen1');
});
afterAll(async () => {
  await server?.close();
});

describe('light /live client (bench)', () => {
  it('joins the overview, sees a device come online, and shares one digest per frame between sockets', async () => {
    const device = [...server.fusion.devices.values()].find((d: Device) => d.kind === 'gas-detector')!;
    const watched = new Set([device.id]);
    const seen: FrameDigest[][] = [[], []];
    const disconnects: string[] = [];
    const clients = await Promise.all(
      [0, 1].map((k) =>
        connectLight({ url: server.url, token, scene: 'overview', timeoutMs: 10_000 }, watched, {
          onDelta: (d) => seen[k]!.push(d),
          onBytes: () => undefined,
          onDisconnect: (reason) => disconnects.push(reason),
        }),
      ),
    );
    try {
      expect((await ingest(server, sign([{ deviceId: device.id, ts: Date.now(), seq: 1, metrics: { lel: 1 } }]))).status).toBe(200);
      const online = (k: number) => seen[k]!.find((d) => d.onlineIds.includes(device.id));
      for (let i = 0; i < 200 && !(online(0) && online(1)); i++) await new Promise((r) => setTimeout(r, 25));
      expect(online(0)).toBeDefined();
      // the same frame on both sockets: read once, the same digest
      expect(online(1)).toBe(online(0));
      expect(online(0)!.puts).toBeGreaterThan(0);
      expect(disconnects).toEqual([]);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('is refused at CONNECT with a bad token', async () => {
    const refused = connectLight({ url: server.url, token: 'not-a-token', scene: 'overview', timeoutMs: 10_000 }, new Set(), {
      onDelta: () => undefined,
      onBytes: () => undefined,
      onDisconnect: () => undefined,
    });
    await expect(refused).rejects.toThrow(/connect refused/);
  });
});
