/**
 * External-broker mode: the PUBACKs of pipelined messages (external-client.ts), held back until
 * each message's outcome is known and sent in PUBLISH order (MQTT 4.6).
 *
 * A plain PUBACK (reason 0, no properties: the 4 bytes `40 02 <id>` in MQTT 3.1.1 and 5 alike,
 * MQTT 5 3.4.2.1) does not go through mqtt.js: mqtt-packet writes each one as three tiny
 * `stream.write`s with a cork and a `nextTick` of its own, and at thousands of messages/s those
 * writes were a tenth of the server's time. The PUBACKs that become due in one turn of the event
 * loop are written as ONE buffer instead (on the next `nextTick`, after the turn's microtasks).
 * Anything else (a reason code, properties, a stream without `write`) goes through mqtt.js, after
 * the plain ones already due, so the order holds.
 */
import type { MqttClient } from 'mqtt';
import type { PublishOutcome } from './device-gate';

type SendPacket = (
  packet: { cmd: string; messageId?: number; reasonCode?: number; properties?: unknown },
  cb?: (err?: Error) => void,
  cbStorePut?: () => void,
) => void;

interface WritableLike {
  write(chunk: Buffer): boolean;
}

interface HeldAck {
  packet: Parameters<SendPacket>[0];
  cbStorePut: (() => void) | undefined;
  /** the connection the message came on: a PUBACK is never sent on a later one */
  stream: unknown;
  /** null until the message's outcome is known */
  outcome: PublishOutcome | null;
}

/** MQTT control packet type 4 (PUBACK), flags 0, remaining length 2 */
const PUBACK_HEADER = 0x40;
const PUBACK_REMAINING = 0x02;

/** Encodes plain PUBACKs (reason 0, no properties) for `ids`, back to back. */
export function encodePlainPubacks(ids: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(ids.length * 4);
  for (let i = 0; i < ids.length; i++) {
    const o = i * 4;
    buf[o] = PUBACK_HEADER;
    buf[o + 1] = PUBACK_REMAINING;
    buf.writeUInt16BE(ids[i]!, o + 2);
  }
  return buf;
}

/**
 * Wraps mqtt.js' private `_sendPacket` so that the PUBACK of a message in `held` lets mqtt.js read
 * on at once but goes out only after the message's outcome, and after every earlier held PUBACK
 * (PUBACKs leave in PUBLISH order). An outcome other than `ack` sends nothing and calls `refused`
 * (the connection is dropped; the broker redelivers). A PUBACK whose connection ended meanwhile is
 * not sent: the broker redelivers that message, a duplicate by `seq`.
 * Answers `drained()`: settles once every PUBACK held so far has been sent or dropped (a graceful
 * close waits for it). Null when `_sendPacket` is not there (mqtt.js changed): nothing is wrapped.
 */
export function holdPubacks(
  client: MqttClient,
  held: Map<number, Promise<PublishOutcome>>,
  refused: () => void,
): { drained(): Promise<unknown> } | null {
  const c = client as unknown as { _sendPacket?: SendPacket; stream?: unknown };
  const send = c._sendPacket;
  if (typeof send !== 'function') return null;
  /** held PUBACKs in PUBLISH order, from `head` on */
  let queue: HeldAck[] = [];
  let head = 0;
  /** plain PUBACKs due, not yet written, and the stream they are for */
  let dueIds: number[] = [];
  let dueStream: WritableLike | null = null;
  let flushQueued = false;
  let waiters: (() => void)[] = [];

  const writeDue = (): void => {
    flushQueued = false;
    if (dueIds.length === 0) return;
    const ids = dueIds;
    const stream = dueStream;
    dueIds = [];
    dueStream = null;
    // the connection ended meanwhile: nothing is sent, the broker redelivers
    if (stream !== null && c.stream === stream && client.connected) stream.write(encodePlainPubacks(ids));
  };

  const isPlain = (p: HeldAck): boolean =>
    (p.packet.reasonCode ?? 0) === 0 && p.packet.properties === undefined && typeof (p.stream as Partial<WritableLike> | null)?.write === 'function';

  const settle = (entry: HeldAck): void => {
    if (entry.outcome !== 'ack') return refused();
    if (c.stream !== entry.stream || !client.connected) return;
    if (isPlain(entry)) {
      if (dueStream !== null && dueStream !== entry.stream) writeDue();
      dueStream = entry.stream as WritableLike;
      dueIds.push(entry.packet.messageId!);
      if (!flushQueued) {
        flushQueued = true;
        process.nextTick(writeDue);
      }
      return;
    }
    // a PUBACK mqtt.js must encode: after the plain ones already due
    writeDue();
    send.call(client, entry.packet, undefined, entry.cbStorePut);
  };

  /** Sends (or drops) the held PUBACKs at the front whose outcome is known. */
  const pump = (): void => {
    while (head < queue.length && queue[head]!.outcome !== null) settle(queue[head++]!);
    if (head === queue.length) {
      queue = [];
      head = 0;
      if (waiters.length > 0) {
        writeDue();
        const done = waiters;
        waiters = [];
        for (const w of done) w();
      }
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };

  c._sendPacket = function heldSendPacket(this: unknown, packet, cb, cbStorePut) {
    const outcome = packet.cmd === 'puback' && packet.messageId !== undefined ? held.get(packet.messageId) : undefined;
    if (outcome === undefined) return send.call(this, packet, cb, cbStorePut);
    held.delete(packet.messageId!);
    const entry: HeldAck = { packet, cbStorePut, stream: c.stream, outcome: null };
    queue.push(entry);
    outcome.then(
      (o) => {
        entry.outcome = o;
        pump();
      },
      () => {
        entry.outcome = 'refuse';
        pump();
      },
    );
    cb?.();
  };
  return {
    drained: () => {
      if (head === queue.length) {
        writeDue();
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}
