import { describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io';
import { slimHandshake } from './slim-handshake';

/** A socket as far as slimHandshake reads it, with the handshake Socket.IO builds. */
function socketWith(headers: Record<string, string>, auth: Record<string, unknown>) {
  const issued = Date.UTC(2026, 11, 1, 3, 4, 5);
  const socket = {
    conn: { request: { headers } },
    handshake: {
      headers,
      time: String(new Date(issued)),
      address: '203.0.113.7',
      xdomain: false,
      secure: true,
      issued,
      url: '/socket.io/?EIO=4&transport=websocket',
      query: { EIO: '4', transport: 'websocket' },
      auth,
    },
  };
  return { socket, original: { ...socket.handshake } };
}

describe('slimHandshake', () => {
  it('keeps what the server reads after the handshake: address, user agent, forwarded-for, times', () => {
    const { socket, original } = socketWith(
      { host: 'ioc.example', 'user-agent': 'Wall/1.0', 'x-forwarded-for': '198.51.100.2', 'sec-websocket-key': 'k==' },
      { token: 'eyJ.secret.sig', protocol: 3 },
    );
    slimHandshake(socket as unknown as Socket);
    const h = (socket as unknown as Socket).handshake;
    expect(h.address).toBe('203.0.113.7');
    expect(h.headers).toEqual({ 'user-agent': 'Wall/1.0', 'x-forwarded-for': '198.51.100.2' });
    expect([h.secure, h.xdomain, h.issued, h.time]).toEqual([original.secure, original.xdomain, original.issued, original.time]);
  });

  it('keeps the shape of a handshake in a copy (the cluster adapter sends `{ ...socket.handshake }` for fetchSockets)', () => {
    const { socket, original } = socketWith({ 'user-agent': 'Wall/1.0' }, { token: 't' });
    slimHandshake(socket as unknown as Socket);
    const copy = { ...(socket as unknown as Socket).handshake };
    expect(Object.keys(copy).sort()).toEqual(Object.keys(original).sort());
    expect(copy.time).toBe(original.time);
  });

  it('drops the upgrade request, the other headers, the query and the credentials', () => {
    const { socket } = socketWith({ host: 'ioc.example', cookie: 'a=b' }, { token: 'eyJ.secret.sig' });
    slimHandshake(socket as unknown as Socket);
    const h = (socket as unknown as Socket).handshake;
    expect(socket.conn.request).toBeNull();
    expect(h.headers).toEqual({});
    expect(h.auth).toEqual({});
    expect(JSON.stringify(h)).not.toContain('secret');
    expect(h.query).toEqual({});
    expect(h.url).toBe('');
  });
});
