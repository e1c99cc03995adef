import { describe, expect, it } from 'vitest';
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { createIocSocketParser, encodeOnce, JsonEncoder, namespaceOfPacket, RefusedMessageError } from './socket-encoder';

const stock = new Encoder();
const ours = new JsonEncoder();

function decode(text: string): Packet {
  const d = new Decoder();
  let out: Packet | null = null;
  d.on('decoded', (p: Packet) => (out = p));
  d.add(text);
  return out!;
}

describe('JsonEncoder', () => {
  const packets: Packet[] = [
    { type: PacketType.EVENT, nsp: '/', data: ['scene:delta', { scene: 'overview', rev: 2, delta: { devices: { put: [{ id: 'd1', s: 'red' }] } } }] },
    { type: PacketType.EVENT, nsp: '/live', data: ['server:hello', { protocol: 1, role: 'screen', name: '青岛市 — 应急' }] },
    { type: PacketType.ACK, nsp: '/live', id: 12, data: [{ ok: true, mode: 'deltas', deltas: [] }] },
    { type: PacketType.EVENT, nsp: '/live', id: 3, data: ['x', undefined, null, 0, 'a"b\\c\n', [1, [2, { z: undefined }]]] },
    { type: PacketType.CONNECT, nsp: '/live', data: { sid: 'abc' } },
    { type: PacketType.DISCONNECT, nsp: '/live' },
    { type: PacketType.CONNECT_ERROR, nsp: '/device', data: { message: 'E_UNAUTHORIZED' } },
  ];

  it('writes exactly what the stock encoder writes for every non-binary packet', () => {
    for (const p of packets) expect(ours.encode(p)).toEqual(stock.encode(p));
  });

  it('round-trips through the stock decoder', () => {
    const p = packets[0]!;
    expect(decode(ours.encode(p)[0] as string)).toMatchObject({ type: p.type, nsp: p.nsp, data: p.data });
  });

  it('serialises a value marked encodeOnce a single time and reuses the text', () => {
    const snapshot = encodeOnce({ ok: true, mode: 'snapshot', snapshot: { scene: 'overview', rev: 7, model: { devices: [{ id: 'd1' }] } } });
    const first = ours.encode({ type: PacketType.ACK, nsp: '/live', id: 1, data: [snapshot] })[0];
    // a changed object would serialise differently: the second packet proves the text was reused
    (snapshot.snapshot.model.devices[0] as { id: string }).id = 'changed';
    const second = ours.encode({ type: PacketType.ACK, nsp: '/live', id: 2, data: [snapshot] })[0];
    expect(first).toBe(
      stock.encode({
        type: PacketType.ACK,
        nsp: '/live',
        id: 1,
        data: [{ ...snapshot, snapshot: { scene: 'overview', rev: 7, model: { devices: [{ id: 'd1' }] } } }],
      })[0],
    );
    expect(second).toBe((first as string).replace(/^31/, '32').replace('/live,1', '/live,2'));
    expect(second).not.toContain('changed');
  });
});

describe('LimitedDecoder', () => {
  const LIVE_MAX_BYTES = 1024;
  const DEVICE_MAX_BYTES = 64 * 1024;
  const parser = createIocSocketParser({ maxMessageBytes: LIVE_MAX_BYTES, namespaceMaxMessageBytes: { '/device': DEVICE_MAX_BYTES } });
  const decodeWith = (text: string): Packet | null => {
    const d = new parser.Decoder();
    let out: Packet | null = null;
    d.on('decoded', (p: Packet) => (out = p));
    d.add(text);
    return out;
  };

  it('reads the namespace of an encoded packet', () => {
    expect(namespaceOfPacket('2/live,1["command",{}]')).toBe('/live');
    expect(namespaceOfPacket('0/device,{"token":"x"}')).toBe('/device');
    expect(namespaceOfPacket('2["x"]')).toBe('/');
    expect(namespaceOfPacket('51-/live,["x",{"_placeholder":true,"num":0}]')).toBe('/live');
  });

  it('refuses a /live message over its limit before parsing it, and takes a larger one on /device', () => {
    const big = 'x'.repeat(LIVE_MAX_BYTES);
    expect(() => decodeWith(`2/live,1["command",{"note":"${big}"}]`)).toThrow(RefusedMessageError);
    // multi-byte characters count in UTF-8 bytes
    expect(() => decodeWith(`2/live,1["command",{"note":"${'界'.repeat(LIVE_MAX_BYTES / 2)}"}]`)).toThrow(RefusedMessageError);
    expect(decodeWith(`2/device,1["readings",{"note":"${big}"}]`)?.data).toEqual(['readings', { note: big }]);
    expect(decodeWith('2/live,1["command",{"note":"ok"}]')?.data).toEqual(['command', { note: 'ok' }]);
  });

  it('refuses binary packets on every namespace', () => {
    expect(() => decodeWith('51-/device,["readings",{"_placeholder":true,"num":0}]')).toThrow(RefusedMessageError);
    const d = new parser.Decoder();
    expect(() => d.add(Buffer.from([1, 2, 3]))).toThrow(RefusedMessageError);
  });

  it('hands each decoded packet to every listener, and to none once removed (as Socket.IO’s client adds and removes its one)', () => {
    const d = new parser.Decoder();
    const first: unknown[] = [];
    const second: unknown[] = [];
    const onFirst = (p: Packet) => first.push(p.data);
    d.on('decoded', onFirst);
    d.on('decoded', (p: Packet) => second.push(p.data));
    d.add('2/live,["a"]');
    d.removeListener('decoded', onFirst);
    d.add('2/live,["b"]');
    expect(first).toEqual([['a']]);
    expect(second).toEqual([['a'], ['b']]);
    expect(d.listeners('decoded')).toHaveLength(1);
  });
});
