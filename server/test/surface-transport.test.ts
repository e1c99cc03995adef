/**
 * Transport and surface (issue 12): the Origin allowlist on every Socket.IO handshake and on REST
 * (CORS, CSRF), the closed default namespace, /metrics behind a token or a source allowlist, the
 * minimal anonymous /healthz, and a CSP without inline scripts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, Manager, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { PROTOCOL_VERSION, type SceneJoinResult } from '../../scenes/protocol';
import { emitAck, login, startTestServer } from './helpers';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EVIL = 'http://evil.example';
const CONSOLE_ORIGIN = 'https://console.ioc.example';
const METRICS_TOKEN = 'surface-metrics-token-0123456789';

let server: IocServer;
let adminToken: string;
let officerToken: string;

beforeAll(async () => {
  server = await startTestServer({ allowedOrigins: [CONSOLE_ORIGIN], metricsToken: METRICS_TOKEN });
  adminToken = await login(server, 'admin');
  officerToken = await login(server, 'officer1');
});
afterAll(async () => {
  await server?.close();
});

/** Opens `/live` with the given transport and extra headers; resolves the socket or the connect_error. */
function openLive(
  transport: 'polling' | 'websocket',
  headers: Record<string, string>,
  token = officerToken,
): Promise<{ ok: true; socket: Socket } | { ok: false; error: Error }> {
  const s = io(`${server.url}/live`, {
    auth: { token, protocol: PROTOCOL_VERSION },
    transports: [transport],
    extraHeaders: headers,
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve) => {
    s.once('connect', () => resolve({ ok: true, socket: s }));
    s.once('connect_error', (error) => {
      s.close();
      resolve({ ok: false, error });
    });
  });
}

describe('Socket.IO handshake Origin', () => {
  for (const transport of ['polling', 'websocket'] as const) {
    it(`refuses a ${transport} handshake from another site's page`, async () => {
      const r = await openLive(transport, { origin: EVIL });
      expect(r.ok).toBe(false);
    });

    it(`accepts a ${transport} handshake without Origin, from the same origin and from an allowed origin`, async () => {
      for (const headers of [{}, { origin: server.url }, { origin: CONSOLE_ORIGIN }] as Record<string, string>[]) {
        const r = await openLive(transport, headers);
        expect(r.ok, JSON.stringify(headers)).toBe(true);
        if (r.ok) r.socket.close();
      }
    });
  }

  it('answers a refused polling handshake 403 with E_FORBIDDEN, any namespace, before counting it', async () => {
    const r = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: EVIL } });
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('E_FORBIDDEN');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    // Origin: null (a sandboxed frame, a file) is not same-origin either
    const n = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'null' } });
    expect(n.status).toBe(403);
  });

  it('refuses a raw WebSocket upgrade from another site (no socket.io-client involved)', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { origin: EVIL });
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
      ws.once('error', () => resolve('error'));
    });
    ws.terminate();
    expect(outcome).not.toBe('open');
  });
});

describe('Socket.IO long-polling', () => {
  it('is answered by engine.io alone: a long-poll gets its packets, not an express 404 (whose double answer crashed the process)', async () => {
    const hs = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    const sid = /"sid":"([^"]+)"/.exec(await hs.text())?.[1];
    expect(sid).toBeDefined();
    const poll = fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    // the engine "close" packet ends the long-poll from the server side
    const close = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '1' });
    expect(close.status).toBe(200);
    await close.arrayBuffer();
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(await answered.text()).not.toContain('<!DOCTYPE');
  });
});

describe('default namespace', () => {
  it('answers a connection to / with connect_error E_FORBIDDEN', async () => {
    const s = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    const err = await new Promise<Error & { data?: { code?: string } }>((resolve, reject) => {
      s.once('connect', () => reject(new Error('the default namespace accepted a connection')));
      s.once('connect_error', resolve);
    });
    s.close();
    expect(err.data?.code).toBe('E_FORBIDDEN');
  });

  it('closes the transport itself: a client that ignores the refusal is not kept open', async () => {
    // raw engine.io + socket.io packets: this client would stay forever if the server let it
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const frames: string[] = [];
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data: Buffer) => {
      const f = data.toString();
      frames.push(f);
      if (f.startsWith('0{')) ws.send('40'); // engine open → socket.io CONNECT to "/"
      if (f === '2') ws.send('3'); // answer pings, as a live client would
    });
    await closed;
    expect(frames.some((f) => f.startsWith('44') && f.includes('E_FORBIDDEN'))).toBe(true);
  });

  it('keeps a transport that also carries /live open (only "/" is refused)', async () => {
    const manager = new Manager(server.url, { transports: ['websocket'], reconnection: false, forceNew: true } as never);
    const live = manager.socket('/live', { auth: { token: officerToken, protocol: PROTOCOL_VERSION } });
    await new Promise<void>((resolve, reject) => {
      live.once('connect', () => resolve());
      live.once('connect_error', reject);
    });
    const rootSocket = manager.socket('/');
    const err = await new Promise<Error>((resolve) => rootSocket.once('connect_error', resolve));
    expect(err.message).toBe('E_FORBIDDEN');
    const join = await emitAck<SceneJoinResult>(live, 'scene:join', { scene: 'water' });
    expect(join.ok).toBe(true);
    expect(live.connected).toBe(true);
    live.close();
  });
});

describe('REST Origin: CORS and CSRF', () => {
  const loginBody = JSON.stringify({ username: 'officer1', password: 'wrong-password-0' });

  it('refuses a state-changing request from another site with 403 E_FORBIDDEN before the handler runs', async () => {
    const r = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ username: 'officer1', password: 'ioc-demo-2026' }),
    });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('E_FORBIDDEN');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const cmd = await fetch(`${server.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL, authorization: `Bearer ${officerToken}` },
      body: '{}',
    });
    expect(cmd.status).toBe(403);
  });

  it('lets Origin-less, same-origin and proxied same-origin requests through (a wrong password is 401, not 403)', async () => {
    for (const headers of [
      {},
      { origin: server.url },
      // a reverse proxy on loopback names the public host in X-Forwarded-Host
      { origin: 'https://ioc.example.cn', host: 'backend.internal:8080', 'x-forwarded-host': 'ioc.example.cn' },
    ] as Record<string, string>[]) {
      const r = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: loginBody,
      });
      expect(r.status, JSON.stringify(headers)).toBe(401);
    }
  });

  it('answers an allowed origin with CORS headers and its preflight with 204; another origin gets none', async () => {
    const pre = await fetch(`${server.url}/api/commands`, {
      method: 'OPTIONS',
      headers: { origin: CONSOLE_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');

    const evilPre = await fetch(`${server.url}/api/commands`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(evilPre.status).toBe(403);
    expect(evilPre.headers.get('access-control-allow-origin')).toBeNull();

    const me = await fetch(`${server.url}/api/me`, { headers: { origin: CONSOLE_ORIGIN, authorization: `Bearer ${officerToken}` } });
    expect(me.status).toBe(200);
    expect(me.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(me.headers.get('vary')?.toLowerCase()).toContain('origin');
    // a read from another site is answered (the token is in a header, not a cookie) but unreadable to that page
    const evilMe = await fetch(`${server.url}/api/me`, { headers: { origin: EVIL, authorization: `Bearer ${officerToken}` } });
    expect(evilMe.status).toBe(200);
    expect(evilMe.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets gateways post readings without Origin', async () => {
    const r = await fetch(`${server.url}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ readings: [] }),
    });
    expect(r.status).not.toBe(403);
  });
});

describe('/metrics and /healthz', () => {
  it('serves /metrics to loopback, refuses a proxied outside source without the token, and serves it with the token', async () => {
    const local = await fetch(`${server.url}/metrics`);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain('# HELP');

    // from a reverse proxy on loopback: the source is the client it names
    const outside = { 'x-forwarded-for': '203.0.113.9' };
    const refused = await fetch(`${server.url}/metrics`, { headers: outside });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('E_FORBIDDEN');
    const wrong = await fetch(`${server.url}/metrics`, { headers: { ...outside, authorization: 'Bearer not-the-metrics-token' } });
    expect(wrong.status).toBe(403);
    await wrong.arrayBuffer();
    const withToken = await fetch(`${server.url}/metrics`, { headers: { ...outside, authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('# HELP');
  });

  it('tells anonymous callers the status only, and an admin session or the metrics token the details', async () => {
    const anon = await fetch(`${server.url}/healthz`);
    expect(anon.status).toBe(200);
    expect(await anon.json()).toEqual({ status: 'ok', nodeId: expect.any(String), ready: true });

    const officer = await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${officerToken}` } });
    expect(await officer.json()).toEqual({ status: 'ok', nodeId: expect.any(String), ready: true });
    const forged = await fetch(`${server.url}/healthz`, { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' } });
    expect(await forged.json()).toEqual({ status: 'ok', nodeId: expect.any(String), ready: true });

    for (const token of [adminToken, METRICS_TOKEN]) {
      const r = await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'ok', ready: true, store: 'memory', protocol: PROTOCOL_VERSION });
      expect(body.devices).toBeGreaterThan(0);
      expect(body.clients).toBeDefined();
    }
  });
});

describe('content security policy', () => {
  it("allows scripts from 'self' only: no 'unsafe-inline' or 'unsafe-eval' in script-src", async () => {
    const r = await fetch(`${server.url}/healthz`);
    const csp = r.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((p) => p[0])
        .map((p) => [p[0]!, p.slice(1)]),
    );
    const scriptSrc = directives.get('script-src');
    expect(scriptSrc).toBeDefined();
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    expect(directives.get('script-src-attr')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
  });

  it('serves a client whose index.html has no inline script (the CSP would block it)', () => {
    const inline = /<script\b(?![^>]*\bsrc\s*=)[^>]*>/i;
    const handlerAttr = /\son[a-z]+\s*=/i;
    const pages = [path.join(root, 'client', 'index.html'), path.join(root, 'client', 'dist', 'index.html')].filter((p) => existsSync(p));
    expect(pages.length).toBeGreaterThan(0);
    for (const p of pages) {
      const html = readFileSync(p, 'utf8');
      expect(inline.test(html), p).toBe(false);
      expect(handlerAttr.test(html), p).toBe(false);
    }
  });
});
