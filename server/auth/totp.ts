/**
 * The second factor: TOTP (RFC 6238 via `otpauth`: SHA-1, 6 digits, 30 s steps, ±1 step of
 * clock drift) and recovery codes. Pure helpers; the state lives on the user (StoredMfa) and the
 * flow in server/auth/login-flow.ts and mfa-service.ts.
 *
 * A code is accepted once: the caller records the accepted time step (`lastStep` on the user, and a
 * single-use key against concurrent submissions) and refuses that step and earlier ones after.
 * Recovery codes are 10 random codes shown once; only their SHA-256 is stored (they carry 50 bits
 * of randomness each, so a fast hash does not make them guessable) and each works once.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

export const TOTP_DIGITS = 6;
/** s */
export const TOTP_PERIOD_S = 30;
/** steps either side of now that still count (a phone clock a little off) */
export const TOTP_WINDOW_STEPS = 1;
/** bytes of a new secret (160 bits, RFC 4226's recommendation) */
const SECRET_BYTES = 20;
/** issuer shown in the authenticator app */
export const TOTP_ISSUER = 'City IOC';
export const RECOVERY_CODE_COUNT = 10;
/** an enrolment not confirmed within this long must start again, ms */
export const MFA_PENDING_TTL_MS = 15 * 60_000;

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const RECOVERY_GROUP = 5;

function totpOf(secretBase32: string, username = ''): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label: username,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(secretBase32),
  });
}

export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://totp/…` URI an authenticator app scans. */
export function otpauthUri(secretBase32: string, username: string): string {
  return totpOf(secretBase32, username).toString();
}

/** The URI as an SVG QR code (a string; the client shows it as a data: image, allowed by the CSP). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The code of `secret` at `nowMs` (tests and the demo; the server never hands codes out). */
export function totpCode(secretBase32: string, nowMs: number): string {
  return totpOf(secretBase32).generate({ timestamp: nowMs });
}

/** The 30 s time step of `nowMs`. */
export function stepOf(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_S);
}

/**
 * The time step a code belongs to when it is valid at `nowMs` (within ±TOTP_WINDOW_STEPS), else
 * null. Whether that step was used already is the caller's check.
 */
export function totpStepOf(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW_STEPS });
  return delta === null ? null : stepOf(nowMs) + delta;
}

/** Ten fresh recovery codes like `k3m9x-7hq2p`, and the hashes to store. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = randomBytes(RECOVERY_GROUP * 2);
    const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]!);
    codes.push(`${chars.slice(0, RECOVERY_GROUP).join('')}-${chars.slice(RECOVERY_GROUP).join('')}`);
  }
  return { codes, hashes: codes.map(recoveryCodeHash) };
}

/** Normalised (case, spaces, dashes) SHA-256 hex of a recovery code. */
export function recoveryCodeHash(code: string): string {
  const normal = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return createHash('sha256').update(`ioc-recovery:${normal}`).digest('hex');
}

/** The stored hash `code` matches, or null (compared in constant time). */
export function matchRecoveryCode(code: string, hashes: readonly string[]): string | null {
  const want = Buffer.from(recoveryCodeHash(code), 'hex');
  let hit: string | null = null;
  for (const h of hashes) {
    const have = Buffer.from(h, 'hex');
    if (have.length === want.length && timingSafeEqual(have, want)) hit = h;
  }
  return hit;
}

// --- the secret at rest -------------------------------------------------------------------------

/** Marks a sealed secret (AES-256-GCM); a value without it is a plain base32 secret of an older store. */
const SEALED_PREFIX = 'v1.';
const SEAL_IV_BYTES = 12;

/** The AES key for TOTP secrets, derived from a server secret (HKDF-SHA256, its own label). */
export function totpSealKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'city-ioc', 'totp-secret-at-rest', 32));
}

/**
 * Seals a TOTP secret for the store: a leaked dump or backup of Redis does not hand out the
 * second factor with it (the key is not in Redis).
 */
export function sealTotpSecret(key: Buffer, secretBase32: string): string {
  const iv = randomBytes(SEAL_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(secretBase32, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The base32 secret of a stored value, or null when it cannot be opened (another key, tampered). */
export function openTotpSecret(key: Buffer, stored: string): string | null {
  if (!stored.startsWith(SEALED_PREFIX)) return stored;
  const [iv, tag, sealed] = stored.slice(SEALED_PREFIX.length).split('.');
  if (!iv || !tag || !sealed) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
