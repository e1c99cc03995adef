/**
 * Socket.IO packet encoder for City IOC's server. Same wire format as socket.io-parser's default
 * encoder (clients keep the stock decoder), with two differences:
 *
 * - it does not search every outgoing payload for binary attachments (`hasBinary` walks the whole
 *   object graph: a 20k-device snapshot is ~100k nodes). This server never emits binary over
 *   Socket.IO — photos travel over REST — so EVENT and ACK packets are always plain JSON;
 * - a value registered with `encodeOnce` is serialised once and the text reused: a scene snapshot
 *   answered to many joining screens (a wall reconnecting after a restart) costs one
 *   JSON.stringify, not one per screen. Such a value must not be changed after registration
 *   (scene models never are: each build makes new objects).
 */
import { createRequire } from 'node:module';
import type * as ParserModule from 'socket.io-parser';

// the CommonJS build, the very module instance socket.io itself loads (an ESM import would get
// the package's separate "esm-debug" build)
const parser = createRequire(import.meta.url)('socket.io-parser') as typeof ParserModule;
const { Encoder, PacketType } = parser;

/** value → its JSON once encoded (null until then) */
const shared = new WeakMap<object, string | null>();

/** Marks `value` as immutable from now on, so its JSON may be reused by every packet that carries it. */
export function encodeOnce<T extends object>(value: T): T {
  if (!shared.has(value)) shared.set(value, null);
  return value;
}

function jsonOf(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const cached = shared.get(value);
    if (cached !== undefined) {
      if (cached !== null) return cached;
      const json = JSON.stringify(value);
      shared.set(value, json);
      return json;
    }
  }
  // as inside JSON.stringify([…]): undefined, functions and symbols become null
  return JSON.stringify(value) ?? 'null';
}

export class JsonEncoder extends Encoder {
  override encode(packet: ParserModule.Packet): ReturnType<ParserModule.Encoder['encode']> {
    if ((packet.type === PacketType.EVENT || packet.type === PacketType.ACK) && Array.isArray(packet.data)) {
      let text = String(packet.type);
      if (packet.nsp && packet.nsp !== '/') text += `${packet.nsp},`;
      if (packet.id !== undefined && packet.id !== null) text += String(packet.id);
      text += `[${(packet.data as unknown[]).map(jsonOf).join(',')}]`;
      return [text];
    }
    return super.encode(packet);
  }
}

/** The `parser` option of City IOC's Socket.IO server: stock decoder, JsonEncoder. */
export const iocSocketParser = { ...parser, Encoder: JsonEncoder };
