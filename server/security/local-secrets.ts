/**
 * Per-install secrets outside production (issue 12): the development constants in the source are
 * public, so a demo or staging install that used them let anyone on its network mint an admin
 * token or sign readings for any device. Instead, the first start writes random secrets to a local
 * file (`var/secrets.json`, or IOC_SECRETS_FILE) readable by its owner only, and every later start
 * — and the simulator of the same checkout — reads them from there, so no two installs share one.
 *
 * Environment variables always win; production never reads the file (it must be given every
 * secret, config.ts); NODE_ENV=test keeps the constants the tests sign with.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../config';

export const SECRET_NAMES = ['IOC_JWT_SECRET', 'IOC_DEVICE_SECRET', 'IOC_AUDIT_KEY'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type LocalSecrets = Record<SecretName, string>;

/** Random bytes per generated secret (64 base64url characters: above every minimum in config.ts). */
const SECRET_BYTES = 48;
/** Shortest value accepted from the file, characters (the EnvSchema minimums). */
const MIN_CHARS: Record<SecretName, number> = { IOC_JWT_SECRET: 32, IOC_DEVICE_SECRET: 16, IOC_AUDIT_KEY: 32 };
/** Group and other permission bits: none may be set on the secrets file. */
const NOT_OWNER_BITS = 0o077;

export function secretsFilePath(env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  return resolve(cwd, env.IOC_SECRETS_FILE || resolve(cwd, 'var', 'secrets.json'));
}

function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Refuses a file others can read: its secrets may already be known. */
function checkMode(file: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & NOT_OWNER_BITS) !== 0) {
    throw new ConfigError(
      `${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); its secrets may be known. ` +
        `Run \`chmod 600 ${file}\` (and consider deleting it so that new secrets are generated); refusing to start`,
    );
  }
}

/** What the file holds; null when there is no file. Throws ConfigError when it is unreadable, malformed or too open. */
function readSecretsFile(file: string): Partial<LocalSecrets> | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  checkMode(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not JSON; delete it to generate new secrets`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${file} is not a JSON object`);
  const out: Partial<LocalSecrets> = {};
  for (const name of SECRET_NAMES) {
    const v = (parsed as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length < MIN_CHARS[name])
      throw new ConfigError(`${file}: ${name} must be a string of at least ${MIN_CHARS[name]} characters`);
    out[name] = v;
  }
  return out;
}

/** Writes `secrets` to a fresh temp file (0600, fsync'ed) next to `file` and returns its path. */
function writeTemp(file: string, secrets: LocalSecrets): string {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(secrets, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

export interface LoadedSecrets {
  secrets: LocalSecrets;
  file: string;
  /** the file did not exist and was written now */
  created: boolean;
  /** names generated now and added to an existing file */
  added: SecretName[];
}

/** The install's secrets from `file`, creating it (or completing it) with random values first. */
export function loadOrCreateLocalSecrets(file: string): LoadedSecrets {
  const existing = readSecretsFile(file);
  if (existing && SECRET_NAMES.every((n) => existing[n] !== undefined)) {
    return { secrets: existing as LocalSecrets, file, created: false, added: [] };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secrets = {} as LocalSecrets;
  const added: SecretName[] = [];
  for (const n of SECRET_NAMES) {
    const have = existing?.[n];
    if (have !== undefined) secrets[n] = have;
    else {
      secrets[n] = newSecret();
      added.push(n);
    }
  }
  const tmp = writeTemp(file, secrets);
  try {
    if (existing) {
      renameSync(tmp, file);
      return { secrets, file, created: false, added };
    }
    try {
      // link, not rename: two first starts at once must not end with different secrets each
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return loadOrCreateLocalSecrets(file);
    }
    return { secrets, file, created: true, added };
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // renamed away already
    }
  }
}

/** The device secret of the install's file, for the simulator of the same checkout; null when there is no file. */
export function readLocalDeviceSecret(file: string): string | null {
  return readSecretsFile(file)?.IOC_DEVICE_SECRET ?? null;
}

export interface ResolvedSecrets {
  /** values to add to the environment before loadConfig */
  env: Partial<LocalSecrets>;
  /** where the secrets come from, for the startup banner */
  description: string;
}

/**
 * The secrets of a server start: what the environment sets; outside production and tests the
 * rest from the install's secrets file (created on first start).
 */
export function resolveServerSecrets(env: NodeJS.ProcessEnv, cwd = process.cwd()): ResolvedSecrets {
  const missing = SECRET_NAMES.filter((n) => !env[n]);
  if (missing.length === 0) return { env: {}, description: 'secrets: from the environment' };
  if (env.NODE_ENV === 'production') return { env: {}, description: 'secrets: from the environment' };
  if (env.NODE_ENV === 'test') return { env: {}, description: `secrets: test constants for ${missing.join(', ')} (NODE_ENV=test)` };
  const loaded = loadOrCreateLocalSecrets(secretsFilePath(env, cwd));
  const picked: Partial<LocalSecrets> = {};
  for (const n of missing) picked[n] = loaded.secrets[n];
  const how = loaded.created ? 'generated now' : loaded.added.length > 0 ? `${loaded.added.join(', ')} generated now` : 'kept from an earlier start';
  const fromEnv = SECRET_NAMES.filter((n) => !missing.includes(n));
  return {
    env: picked,
    description:
      `secrets: ${missing.join(', ')} from ${loaded.file} (${how}; owner-only)` +
      (fromEnv.length > 0 ? `, ${fromEnv.join(', ')} from the environment` : ''),
  };
}
