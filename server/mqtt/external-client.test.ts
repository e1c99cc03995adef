import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { PublishOutcome } from './device-gate';
import { encodePlainPubacks, holdPubacks } from './held-pubacks';

interface Sent {
  cmd: string;
  messageId?: number;
}

/** A stand-in for mqtt.js' client: what `_sendPacket` wrote, the stream it wrote on. */
function fakeClient() {
  const sent: Sent[] = [];
  const c = {
    connected: true,
    stream: {} as object,
    _sendPacket(packet: Sent, cb?: () => void) {
      sent.push(packet);
      cb?.();
    },
  };
  return { c, sent, client: c as unknown as MqttClient };
}

function deferred(): { promise: Promise<PublishOutcome>; resolve: (o: PublishOutcome) => void } {
  let resolve!: (o: PublishOutcome) => void;
  const promise = new Promise<PublishOutcome>((r) => (resolve = r));
  return { promise, resolve };
}

describe('holdPubacks (external broker: pipelined acknowledgements)', () => {
  it('lets mqtt.js read on at once, and sends each PUBACK only after its outcome, in PUBLISH order', async () => {
    const { c, sent, client } = fakeClient();
    const held = new Map<number, Promise<PublishOutcome>>();
    const pipeline = holdPubacks(client, held, () => undefined)!;
    const first = deferred();
    const second = deferred();
    held.set(1, first.promise);
    held.set(2, second.promise);
    let readOn = 0;
    c._sendPacket({ cmd: 'puback', messageId: 1 }, () => readOn++);
    c._sendPacket({ cmd: 'puback', messageId: 2 }, () => readOn++);
    expect(readOn).toBe(2);
    expect(sent).toEqual([]);
    second.resolve('ack');
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    first.resolve('ack');
    await pipeline.drained();
    expect(sent.map((p) => p.messageId)).toEqual([1, 2]);
  });

  it('sends nothing for a refused message and reports it; other packets pass untouched', async () => {
    const { c, sent, client } = fakeClient();
    const held = new Map<number, Promise<PublishOutcome>>([[7, Promise.resolve('refuse' as const)]]);
    let refused = 0;
    const pipeline = holdPubacks(client, held, () => refused++)!;
    c._sendPacket({ cmd: 'puback', messageId: 7 });
    c._sendPacket({ cmd: 'pingreq' });
    c._sendPacket({ cmd: 'puback', messageId: 8 });
    await pipeline.drained();
    expect(refused).toBe(1);
    expect(sent).toEqual([{ cmd: 'pingreq' }, { cmd: 'puback', messageId: 8 }]);
  });

  it('drops a held PUBACK whose connection ended meanwhile (the broker sends that message again)', async () => {
    const { c, sent, client } = fakeClient();
    const outcome = deferred();
    const held = new Map<number, Promise<PublishOutcome>>([[3, outcome.promise]]);
    const pipeline = holdPubacks(client, held, () => undefined)!;
    c._sendPacket({ cmd: 'puback', messageId: 3 });
    c.stream = {};
    outcome.resolve('ack');
    await pipeline.drained();
    expect(sent).toEqual([]);
  });

  it('writes the plain PUBACKs due in one turn as one buffer, in PUBLISH order, and a PUBACK mqtt.js must encode after them', async () => {
    const { c, sent, client } = fakeClient();
    const writes: Buffer[] = [];
    c.stream = { write: (chunk: Buffer) => writes.push(chunk) > 0 };
    const outcomes = [1, 2, 3, 4].map(() => deferred());
    const held = new Map<number, Promise<PublishOutcome>>(outcomes.map((d, i) => [i + 1, d.promise]));
    const pipeline = holdPubacks(client, held, () => undefined)!;
    for (const id of [1, 2, 3]) c._sendPacket({ cmd: 'puback', messageId: id });
    c._sendPacket({ cmd: 'puback', messageId: 4, properties: { reasonString: 'x' } } as Sent);
    for (const d of [...outcomes].reverse()) d.resolve('ack');
    await pipeline.drained();
    expect(writes).toHaveLength(1);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const parsed: { cmd: string; messageId?: number }[] = [];
    parser.on('packet', (p) => parsed.push(p));
    parser.parse(writes[0]!);
    expect(parsed.map((p) => [p.cmd, p.messageId])).toEqual([
      ['puback', 1],
      ['puback', 2],
      ['puback', 3],
    ]);
    // the one with properties went through mqtt.js, after the plain ones
    expect(sent.map((p) => p.messageId)).toEqual([4]);
    expect(encodePlainPubacks([0x1234])).toEqual(Buffer.from([0x40, 0x02, 0x12, 0x34]));
  });

  it('answers null when mqtt.js has no _sendPacket to wrap', () => {
    expect(holdPubacks({} as MqttClient, new Map(), () => undefined)).toBeNull();
  });
});
