import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { PublishOutcome } from './device-gate';
import { holdPubacks } from './external-client';

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

  it('answers null when mqtt.js has no _sendPacket to wrap', () => {
    expect(holdPubacks({} as MqttClient, new Map(), () => undefined)).toBeNull();
  });
});
