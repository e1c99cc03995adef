import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCliConfig } from '../../mock-devices/cli-config';
import { ConfigError, DEV_AUDIT_KEY, DEV_JWT_SECRET, loadConfig } from '../config';
import { DEV_DEVICE_SECRET } from '../device-token';
import { loadOrCreateLocalSecrets, resolveServerSecrets, SECRET_NAMES, secretsFilePath } from './local-secrets';

let dir: string;
let file: string;
const devEnv = () => ({ NODE_ENV: 'development', IOC_SECRETS_FILE: file });

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-secrets-'));
  file = path.join(dir, 'var', 'secrets.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('per-install secrets (var/secrets.json)', () => {
  it('creates the file on first start with random values, owner-only (0600), and keeps them on the next start', () => {
    const first = resolveServerSecrets(devEnv());
    expect(first.description).toContain(file);
    expect(first.description).toContain('generated now');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    for (const n of SECRET_NAMES) {
      expect(first.env[n]).toBe(stored[n]);
      expect(first.env[n]!.length).toBeGreaterThanOrEqual(32);
    }
    expect([first.env.IOC_JWT_SECRET, first.env.IOC_DEVICE_SECRET, first.env.IOC_AUDIT_KEY]).not.toContain(DEV_JWT_SECRET);
    expect(first.env.IOC_DEVICE_SECRET).not.toBe(DEV_DEVICE_SECRET);

    const second = resolveServerSecrets(devEnv());
    expect(second.env).toEqual(first.env);
    expect(second.description).toContain('kept from an earlier start');

    // the config the server runs with holds them, not the constants in the source
    const config = loadConfig({ ...devEnv(), ...second.env });
    expect(config.jwtSecret).toBe(first.env.IOC_JWT_SECRET);
    expect(config.deviceSecret).toBe(first.env.IOC_DEVICE_SECRET);
    expect(config.auditKey).toBe(first.env.IOC_AUDIT_KEY);
    expect(config.auditKey).not.toBe(DEV_AUDIT_KEY);
  });

  it('gives two installs different secrets', () => {
    const a = resolveServerSecrets(devEnv());
    const other = path.join(dir, 'other', 'secrets.json');
    const b = resolveServerSecrets({ NODE_ENV: 'development', IOC_SECRETS_FILE: other });
    for (const n of SECRET_NAMES) expect(a.env[n]).not.toBe(b.env[n]);
  });

  it('lets the environment win and completes a file that lacks a secret', () => {
    writeFileSync(path.join(dir, 'partial.json'), JSON.stringify({ IOC_JWT_SECRET: 'j'.repeat(40) }), { mode: 0o600 });
    const partial = path.join(dir, 'partial.json');
    const r = resolveServerSecrets({ NODE_ENV: 'development', IOC_SECRETS_FILE: partial, IOC_AUDIT_KEY: 'a'.repeat(40) });
    expect(r.env.IOC_JWT_SECRET).toBe('j'.repeat(40));
    expect(r.env.IOC_AUDIT_KEY).toBeUndefined(); // from the environment, not the file
    expect(r.env.IOC_DEVICE_SECRET).toBeDefined();
    expect(r.description).toContain('IOC_AUDIT_KEY from the environment');
    const stored = JSON.parse(readFileSync(partial, 'utf8')) as Record<string, string>;
    expect(stored.IOC_DEVICE_SECRET).toBe(r.env.IOC_DEVICE_SECRET);
    expect(stored.IOC_JWT_SECRET).toBe('j'.repeat(40));
    expect(statSync(partial).mode & 0o777).toBe(0o600);
  });

  it.skipIf(process.platform === 'win32')('refuses a secrets file that group or others can read', () => {
    loadOrCreateLocalSecrets(file);
    chmodSync(file, 0o644);
    expect(() => resolveServerSecrets(devEnv())).toThrow(ConfigError);
    expect(() => resolveServerSecrets(devEnv())).toThrow(/chmod 600/);
  });

  it('refuses a malformed file or a too-short secret in it', () => {
    writeFileSync(path.join(dir, 'bad.json'), 'not json', { mode: 0o600 });
    expect(() => loadOrCreateLocalSecrets(path.join(dir, 'bad.json'))).toThrow(ConfigError);
    writeFileSync(path.join(dir, 'short.json'), JSON.stringify({ IOC_JWT_SECRET: 'short' }), { mode: 0o600 });
    expect(() => loadOrCreateLocalSecrets(path.join(dir, 'short.json'))).toThrow(/IOC_JWT_SECRET/);
  });

  it('never touches a file in tests or in production (production must be given every secret)', () => {
    expect(resolveServerSecrets({ NODE_ENV: 'test', IOC_SECRETS_FILE: file }).env).toEqual({});
    expect(resolveServerSecrets({ NODE_ENV: 'production', IOC_SECRETS_FILE: file }).env).toEqual({});
    expect(() => statSync(file)).toThrow();
    // and loadConfig under NODE_ENV=test keeps the constants the unit tests sign with
    expect(loadConfig({ NODE_ENV: 'test' }).jwtSecret).toBe(DEV_JWT_SECRET);
  });

  it('defaults to var/secrets.json under the working directory', () => {
    expect(secretsFilePath({}, '/srv/ioc')).toBe(path.resolve('/srv/ioc/var/secrets.json'));
    expect(secretsFilePath({ IOC_SECRETS_FILE: 'conf/s.json' }, '/srv/ioc')).toBe(path.resolve('/srv/ioc/conf/s.json'));
  });
});

describe('the simulator of the same checkout', () => {
  it("signs with the device secret the server generated, so the demo devices' HMAC tokens keep working", () => {
    const server = resolveServerSecrets(devEnv());
    const sim = resolveCliConfig({}, devEnv());
    expect(sim.ok && sim.config.deviceSecret).toBe(server.env.IOC_DEVICE_SECRET);
  });

  it('prefers IOC_DEVICE_SECRET, and uses the constant against a test server or before any file exists', () => {
    resolveServerSecrets(devEnv());
    const explicit = resolveCliConfig({}, { ...devEnv(), IOC_DEVICE_SECRET: 'x'.repeat(20) });
    expect(explicit.ok && explicit.config.deviceSecret).toBe('x'.repeat(20));
    const test = resolveCliConfig({}, { NODE_ENV: 'test', IOC_SECRETS_FILE: file });
    expect(test.ok && test.config.deviceSecret).toBe(DEV_DEVICE_SECRET);
    const none = resolveCliConfig({}, { NODE_ENV: 'development', IOC_SECRETS_FILE: path.join(dir, 'absent.json') });
    expect(none.ok && none.config.deviceSecret).toBe(DEV_DEVICE_SECRET);
  });
});
