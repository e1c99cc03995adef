import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../config';
import { DEV_CLIENT_ORIGINS, normaliseOrigin, OriginPolicy, parseOriginList } from './origin-policy';

const policy = new OriginPolicy(['https://console.ioc.example']);
const judge = (headers: Record<string, string>, remote = '10.0.0.5') => policy.judge(headers, remote);

describe('OriginPolicy', () => {
  it('passes requests without Origin (gateways, the simulator, curl)', () => {
    expect(judge({ host: 'ioc.example:8080' })).toBe('absent');
  });

  it('treats the Origin whose host:port is the Host as same-origin, default ports included', () => {
    expect(judge({ origin: 'http://ioc.example:8080', host: 'ioc.example:8080' })).toBe('same-origin');
    expect(judge({ origin: 'https://IOC.example', host: 'ioc.example:443' })).toBe('same-origin');
    expect(judge({ origin: 'http://ioc.example', host: 'ioc.example' })).toBe('same-origin');
    expect(judge({ origin: 'http://ioc.example:8081', host: 'ioc.example:8080' })).toBe('refused');
    expect(judge({ origin: 'http://ioc.example.evil.cn', host: 'ioc.example' })).toBe('refused');
  });

  it('believes X-Forwarded-Host only from a proxy on loopback', () => {
    const h = { origin: 'https://ioc.example.cn', host: '127.0.0.1:8080', 'x-forwarded-host': 'ioc.example.cn' };
    expect(judge(h, '127.0.0.1')).toBe('same-origin');
    expect(judge(h, '::ffff:127.0.0.1')).toBe('same-origin');
    expect(judge(h, '203.0.113.7')).toBe('refused');
  });

  it('allows listed origins and refuses every other, including Origin: null and junk', () => {
    expect(judge({ origin: 'https://console.ioc.example', host: 'api.ioc.example' })).toBe('allowed');
    expect(judge({ origin: 'https://console.ioc.example:443', host: 'api.ioc.example' })).toBe('allowed');
    expect(judge({ origin: 'http://console.ioc.example', host: 'api.ioc.example' })).toBe('refused');
    expect(judge({ origin: 'null', host: 'api.ioc.example' })).toBe('refused');
    expect(judge({ origin: 'javascript:alert(1)', host: 'api.ioc.example' })).toBe('refused');
  });
});

describe('IOC_ALLOWED_ORIGINS', () => {
  it('parses a comma list of origins and names a bad entry', () => {
    expect(parseOriginList(' https://a.example , http://b.example:8080/ ,')).toEqual({
      ok: true,
      origins: ['https://a.example', 'http://b.example:8080'],
    });
    const bad = parseOriginList('https://a.example,https://b.example/path');
    expect(bad.ok).toBe(false);
    expect(normaliseOrigin('ftp://x')).toBeNull();
  });

  it('replaces the default list; the default allows the vite dev server outside production only', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).allowedOrigins).toEqual([...DEV_CLIENT_ORIGINS]);
    expect(loadConfig({ NODE_ENV: 'test', IOC_ALLOWED_ORIGINS: 'https://wall.example' }).allowedOrigins).toEqual(['https://wall.example']);
    const prod = loadConfig({
      NODE_ENV: 'production',
      IOC_JWT_SECRET: 'j'.repeat(40),
      IOC_DEVICE_SECRET: 'd'.repeat(40),
      IOC_AUDIT_KEY: 'a'.repeat(40),
    });
    expect(prod.allowedOrigins).toEqual([]);
    expect(() => loadConfig({ NODE_ENV: 'test', IOC_ALLOWED_ORIGINS: '*' })).toThrow(ConfigError);
  });
});
