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
 *
 * and a decoder (`LimitedDecoder`) that enforces a message size per namespace before JSON.parse:
 * engine.io's `maxHttpBufferSize` is one limit for the whole server, sized for `/device` batches,
 * while a `/live` message never needs more than a command. It also refuses binary packets
 * (attachments are reassembled in memory and this server never receives any).
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

export interface MessageLimits {
  /** largest message on any namespace not listed in `namespaceMaxMessageBytes`, bytes (UTF-8) */
  maxMessageBytes: number;
  /** per-namespace exceptions, e.g. `{ '/device': 4 MiB }` */
  namespaceMaxMessageBytes: Record<string, number>;
}

/** Thrown by the decoder; Socket.IO hands it to each socket's `error` listeners, then closes the connection. */
export class RefusedMessageError extends Error {
  constructor(
    message: string,
    readonly namespace: string,
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(message);
    this.name = 'RefusedMessageError';
  }
}

const BINARY_TYPES = new Set([String(PacketType.BINARY_EVENT), String(PacketType.BINARY_ACK)]);

/** Namespace of an encoded packet: `<type>[<n>-][<nsp>,]…`, `/` when absent. */
export function namespaceOfPacket(text: string): string {
  let i = 1;
  if (BINARY_TYPES.has(text.charAt(0))) {
    const dash = text.indexOf('-', i);
    if (dash < 0) return '/';
    i = dash + 1;
  }
  if (text.charAt(i) !== '/') return '/';
  const comma = text.indexOf(',', i);
  return comma < 0 ? text.slice(i) : text.slice(i, comma);
}

/** UTF-8 size of `text`, computed only when the UTF-16 length leaves it in doubt. */
function exceedsBytes(text: string, limit: number): number | null {
  if (text.length > limit) return text.length;
  if (text.length * 3 <= limit) return null;
  const bytes = Buffer.byteLength(text);
  return bytes > limit ? bytes : null;
}

/** Builds the `parser` option of City IOC's Socket.IO server: JsonEncoder and a size-limited decoder. */
export function createIocSocketParser(limits: MessageLimits): typeof iocSocketParser {
  class LimitedDecoder extends parser.Decoder {
    override add(obj: unknown): void {
      if (typeof obj !== 'string') throw new RefusedMessageError('binary Socket.IO messages are not accepted', '?', 0, 0);
      const nsp = namespaceOfPacket(obj);
      if (BINARY_TYPES.has(obj.charAt(0))) throw new RefusedMessageError('binary Socket.IO messages are not accepted', nsp, obj.length, 0);
      const limit = Object.hasOwn(limits.namespaceMaxMessageBytes, nsp) ? limits.namespaceMaxMessageBytes[nsp]! : limits.maxMessageBytes;
      const bytes = exceedsBytes(obj, limit);
      if (bytes !== null) throw new RefusedMessageError(`message of ${bytes} bytes on ${nsp} exceeds its limit of ${limit} bytes`, nsp, bytes, limit);
      super.add(obj);
    }

    /**
     * Socket.IO's client gives every connection's decoder one `decoded` listener; the emitter
     * pushes it onto an empty array, which V8 grows to 17 slots (≈ 150 bytes per connection,
     * issue 15). The decoder's first listener gets an exact one-slot array instead; when the
     * emitter does not read it back (another emitter version), the emitter registers it.
     */
    override on(...args: Parameters<ParserModule.Decoder['on']>): this {
      const [event, listener] = args;
      const own = this as unknown as { _callbacks?: Record<string, unknown[]> };
      if (own._callbacks === undefined) {
        own._callbacks = { [`$${event}`]: [listener] };
        if (this.listeners(event)[0] === listener) return this;
        delete own._callbacks;
      }
      return super.on(...args);
    }
  }
  return { ...parser, Encoder: JsonEncoder, Decoder: LimitedDecoder };
}
