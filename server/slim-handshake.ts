/**
 * What a Socket.IO connection keeps of its handshake once a namespace accepted it (issue 15: heap
 * per connection). Socket.IO keeps, for the connection's whole life:
 * - engine.io's first HTTP request (the IncomingMessage with its raw headers and parser state,
 *   ≈ 4 KB), as Socket.IO's memory-usage guide notes;
 * - `socket.handshake`: every request header, the URL and query, the handshake time as a string,
 *   and the `auth` payload — for `/live`, the whole access token (≈ 300 bytes), read once by the
 *   handshake middleware.
 * After the handshake the server reads only the address and the headers in `KEPT_HEADERS` (audit
 * records, the source behind a trusted proxy); the rest is dropped. `time` is derived from `issued`
 * on demand, as Socket.IO built it. A second namespace opened on the same connection would see a
 * handshake without the request's other headers; our clients open one namespace each.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';
import type { Socket } from 'socket.io';

type Handshake = Socket['handshake'];

/** The request headers the server reads after the handshake (guard.sourceOf, audit's userAgentOf). */
export const KEPT_HEADERS = ['user-agent', 'x-forwarded-for'] as const;

const NO_HEADERS: IncomingHttpHeaders = Object.freeze({});
const NO_QUERY: ParsedUrlQuery = Object.freeze({});
const NO_AUTH: Handshake['auth'] = Object.freeze({});

/**
 * `time`, as Socket.IO writes it (`new Date() + ""`), from `issued` (the same instant): an own,
 * enumerable accessor — a copy of the handshake (the cluster adapter's `fetchSockets`) still
 * carries it — defined with one shared descriptor, so every handshake keeps one shape and no string
 */
const TIME: PropertyDescriptor & ThisType<SlimHandshake> = {
  get() {
    return String(new Date(this.issued));
  },
  enumerable: true,
};

class SlimHandshake implements Handshake {
  declare readonly time: string;
  /** dropped: the server routes nothing on them after the handshake */
  readonly url = '';
  readonly query = NO_QUERY;
  /** dropped: the credentials were checked by the handshake middleware and are never read again */
  readonly auth = NO_AUTH;

  constructor(
    readonly headers: IncomingHttpHeaders,
    readonly address: string,
    readonly xdomain: boolean,
    readonly secure: boolean,
    /** epoch ms */
    readonly issued: number,
  ) {
    Object.defineProperty(this, 'time', TIME);
  }
}

/** Drops what `socket` keeps of its handshake beyond what the server reads later (see above). */
export function slimHandshake(socket: Socket): void {
  (socket.conn as unknown as { request: unknown }).request = null;
  const h = socket.handshake;
  let headers = NO_HEADERS;
  for (const name of KEPT_HEADERS) {
    const value = h.headers[name];
    if (value === undefined) continue;
    if (headers === NO_HEADERS) headers = {};
    (headers as Record<string, string | string[]>)[name] = value;
  }
  (socket as unknown as { handshake: Handshake }).handshake = new SlimHandshake(headers, h.address, h.xdomain, h.secure, h.issued);
}
