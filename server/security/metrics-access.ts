/**
 * Who may read `/metrics` and the detailed `/healthz` (issue 12): they tell an attacker the fleet
 * size, connected clients, store state and versions.
 *
 * - a bearer token equal to IOC_METRICS_TOKEN (compared in constant time), from anywhere; or
 * - a source address on IOC_METRICS_ALLOW (addresses or CIDR blocks; default loopback only).
 *   The source is `sourceOf` (guard.ts): behind a reverse proxy on loopback it is the client the
 *   proxy names in X-Forwarded-For, so a proxied public request is not "loopback".
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

/** IOC_METRICS_ALLOW when unset: the machine itself (a Prometheus agent or `curl` on the host). */
export const DEFAULT_METRICS_ALLOW: readonly string[] = ['127.0.0.0/8', '::1'];

/** One entry of IOC_METRICS_ALLOW: an IP address or `address/prefix`. */
function parseEntry(entry: string): { address: string; prefix?: number; type: 'ipv4' | 'ipv6' } | null {
  const [address, prefixRaw, extra] = entry.split('/');
  if (address === undefined || extra !== undefined) return null;
  const v = isIP(address);
  if (v === 0) return null;
  const type = v === 4 ? 'ipv4' : 'ipv6';
  if (prefixRaw === undefined) return { address, type };
  const prefix = Number(prefixRaw);
  if (!/^\d{1,3}$/.test(prefixRaw) || prefix > (v === 4 ? 32 : 128)) return null;
  return { address, prefix, type };
}

/** A comma-separated list of addresses and CIDR blocks; the first bad entry is named. */
export function parseAddressList(raw: string): { ok: true; entries: string[] } | { ok: false; message: string } {
  const entries: string[] = [];
  for (const part of raw.split(',')) {
    const e = part.trim();
    if (e === '') continue;
    if (!parseEntry(e)) return { ok: false, message: `'${e}' is not an IP address or CIDR block (e.g. 10.0.0.0/8)` };
    entries.push(e);
  }
  return { ok: true, entries };
}

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is the IPv4 address it carries. */
function plainAddress(source: string): string {
  return source.startsWith('::ffff:') && isIP(source.slice(7)) === 4 ? source.slice(7) : source;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class MetricsAccess {
  private readonly allow = new BlockList();
  private readonly tokenDigest: Buffer | null;

  constructor(opts: { token: string | null; allow: readonly string[] }) {
    this.tokenDigest = opts.token ? digest(opts.token) : null;
    for (const e of opts.allow) {
      const p = parseEntry(e);
      if (!p) continue;
      if (p.prefix === undefined) this.allow.addAddress(p.address, p.type);
      else this.allow.addSubnet(p.address, p.prefix, p.type);
    }
  }

  /** The `Authorization` header carries the metrics token. */
  hasToken(authorization: string | undefined): boolean {
    if (!this.tokenDigest || !authorization?.startsWith('Bearer ')) return false;
    // digests of equal length: the comparison time says nothing about the token's length or prefix
    return timingSafeEqual(digest(authorization.slice(7)), this.tokenDigest);
  }

  /** The source address (as `sourceOf` gives it) is on the allowlist. */
  sourceAllowed(source: string): boolean {
    const a = plainAddress(source);
    const v = isIP(a);
    if (v === 0) return false;
    return this.allow.check(a, v === 4 ? 'ipv4' : 'ipv6');
  }

  allows(authorization: string | undefined, source: string): boolean {
    return this.hasToken(authorization) || this.sourceAllowed(source);
  }
}
