/**
 * Device credentials on the hot path (every reading is verified).
 *
 * Two kinds, per device (issue 11):
 * - `secret`: a random 32-byte token (`base64url`, 43 characters) issued by the registry at
 *   creation and on rotation, shown once; the store keeps only its sha256. Not a password (it has
 *   256 bits of entropy), so one sha256 per reading is enough and stays cheap.
 * - `demo-hmac`: the seeded demo fleet keeps its HMAC-derived tokens,
 *   `base64url(HMAC-SHA256(IOC_DEVICE_SECRET, deviceId))`, so the simulator and benches work
 *   unchanged; only devices the registry flags as demo accept them, and rotating such a device
 *   replaces the HMAC token with a random one.
 *
 * Until a credential table is attached (`useCredentials`), every device's HMAC token is accepted
 * (unit tests that build an IngestService without a registry).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Development default; production refuses to start without IOC_DEVICE_SECRET. */
export const DEV_DEVICE_SECRET = 'city-ioc-dev-device-secret';

/** Random bytes of an issued device token. */
export const DEVICE_SECRET_BYTES = 32;

export function deviceToken(secret: string, deviceId: string): string {
  return createHmac('sha256', secret).update(deviceId).digest('base64url');
}

/** A fresh random device token (shown once; store only `hashDeviceToken` of it). */
export function newDeviceToken(): string {
  return randomBytes(DEVICE_SECRET_BYTES).toString('base64url');
}

/** sha256 of a device token, hex. */
export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A device's credential as the verifier holds it. */
export type DeviceCredential = { kind: 'secret'; sha256Hex: string } | { kind: 'demo-hmac' };

type HeldCredential = { kind: 'secret'; sha256: Buffer } | { kind: 'demo-hmac' };

/** base64url characters of a 32-byte token (and of an HMAC-SHA256 token). */
const TOKEN_CHARS = 43;
const SHA256_BYTES = 32;

/**
 * Verifies tokens against an in-memory table by deviceId (the registry keeps it current: a rotated
 * or retired device's old token fails on the next reading). The HMAC of demo devices is cached per
 * device so the hot path costs one compare; the table is bounded by the registry, not by ids an
 * attacker makes up.
 */
export class DeviceTokenVerifier {
  private readonly expectedHmac = new Map<string, Buffer>();
  private credentials: Map<string, HeldCredential> | null = null;
  constructor(private readonly secret: string) {}

  /** From now on only these credentials count (replaces any table held before). */
  useCredentials(entries: Iterable<[deviceId: string, credential: DeviceCredential]>): void {
    this.credentials = new Map();
    for (const [id, c] of entries) this.setCredential(id, c);
  }

  /** Replace (or with null revoke) one device's credential; takes effect on the next verify. */
  setCredential(deviceId: string, credential: DeviceCredential | null): void {
    this.credentials ??= new Map();
    if (!credential) this.credentials.delete(deviceId);
    else if (credential.kind === 'demo-hmac') this.credentials.set(deviceId, credential);
    else {
      const sha256 = Buffer.from(credential.sha256Hex, 'hex');
      // a damaged hash verifies nothing (and must not make timingSafeEqual throw)
      if (sha256.length === SHA256_BYTES) this.credentials.set(deviceId, { kind: 'secret', sha256 });
      else this.credentials.delete(deviceId);
    }
  }

  verify(deviceId: string, token: string): boolean {
    // tokens are ASCII (base64url): a wrong length is refused before any hashing of a huge string
    if (typeof token !== 'string' || token.length !== TOKEN_CHARS) return false;
    const held: HeldCredential | undefined = this.credentials ? this.credentials.get(deviceId) : { kind: 'demo-hmac' };
    if (!held) return false;
    if (held.kind === 'secret') return timingSafeEqual(createHash('sha256').update(token).digest(), held.sha256);
    let want = this.expectedHmac.get(deviceId);
    if (!want) {
      want = Buffer.from(deviceToken(this.secret, deviceId));
      this.expectedHmac.set(deviceId, want);
    }
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
