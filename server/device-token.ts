/**
 * Per-device tokens: `base64url(HMAC-SHA256(deviceSecret, deviceId))`, 43 characters.
 *
 * The server needs no token table: it recomputes and compares in constant time. An operator
 * provisions a real gateway with the tokens of its devices (`GET /api/devices/:id/token`, admin).
 * Rotating `IOC_DEVICE_SECRET` revokes every token at once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Development default; production refuses to start without IOC_DEVICE_SECRET. */
export const DEV_DEVICE_SECRET = 'city-ioc-dev-device-secret';

export function deviceToken(secret: string, deviceId: string): string {
  return createHmac('sha256', secret).update(deviceId).digest('base64url');
}

/**
 * Verifies tokens; caches the expected token per device so the hot path costs one compare (one
 * HMAC per device per process). Callers check the device exists first: the cache is bounded by
 * the registry, not by ids an attacker makes up.
 */
export class DeviceTokenVerifier {
  private readonly expected = new Map<string, Buffer>();
  constructor(private readonly secret: string) {}

  verify(deviceId: string, token: string): boolean {
    let want = this.expected.get(deviceId);
    if (!want) {
      want = Buffer.from(deviceToken(this.secret, deviceId));
      this.expected.set(deviceId, want);
    }
    // tokens are ASCII (base64url): a wrong length is refused before any copy of a huge string
    if (token.length !== want.length) return false;
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
