/** scrypt password hashing: `scrypt$N$r$p$saltB64$hashB64`. */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P });
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * A hash with the same parameters as real ones, made once per process: a login for an unknown
 * username is checked against it, so it costs the same scrypt as a known one (no timing oracle).
 */
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(KEY_BYTES).toString('base64url'));
  return dummyHash;
}

/** Whether `password` matches any of `hashes` (all are checked: the time does not tell which one). */
export async function matchesAnyPassword(password: string, hashes: readonly string[]): Promise<boolean> {
  const results = await Promise.all(hashes.map((h) => verifyPassword(password, h)));
  return results.includes(true);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const want = Buffer.from(hashB64, 'base64');
  const got = await scrypt(password, Buffer.from(saltB64, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Minimum length of a password a person sets, characters. */
export const MIN_PASSWORD_LENGTH = 10;
/** Of the four character classes (lower, upper, digit, symbol), a password uses at least this many. */
export const MIN_PASSWORD_CLASSES = 3;
/** Characters of a generated one-time password (≈ 6 bits each, plus one of every class). */
export const ONE_TIME_PASSWORD_LENGTH = 20;

const CHARACTER_CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/];

/** Why a password is refused; stable values that tests and clients may branch on. */
export type PasswordProblem = 'too_short' | 'too_few_classes' | 'contains_username' | 'same_as_current' | 'recently_used';

export interface PasswordRefusal {
  problem: PasswordProblem;
  message: string;
}

/**
 * The password policy: at least MIN_PASSWORD_LENGTH characters, at least MIN_PASSWORD_CLASSES of
 * lower case, upper case, digits and symbols, and not containing the username (any case). Whether
 * it equals the current password is checked by the caller (it needs the stored hash).
 */
export function passwordPolicyRefusal(password: string, username?: string): PasswordRefusal | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return { problem: 'too_short', message: `password must have at least ${MIN_PASSWORD_LENGTH} characters` };
  const classes = CHARACTER_CLASSES.filter((re) => re.test(password)).length;
  if (classes < MIN_PASSWORD_CLASSES)
    return { problem: 'too_few_classes', message: 'password must mix at least three of: lower case, upper case, digits, symbols' };
  if (username !== undefined && username.length > 0 && password.toLowerCase().includes(username.toLowerCase()))
    return { problem: 'contains_username', message: 'password must not contain the username' };
  return null;
}

/**
 * A random one-time password that satisfies the policy: base64url randomness with one character
 * of every class mixed in at random positions.
 */
export function generateOneTimePassword(length = ONE_TIME_PASSWORD_LENGTH): string {
  const chars = randomBytes(length)
    .toString('base64url')
    .slice(0, length - 4)
    .split('');
  const pick = (alphabet: string) => alphabet[randomBytes(1)[0]! % alphabet.length]!;
  for (const alphabet of ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '-_.!#%+=']) {
    chars.splice(randomBytes(1)[0]! % (chars.length + 1), 0, pick(alphabet));
  }
  return chars.join('');
}
