import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { DEFAULT_METRICS_ALLOW, MetricsAccess, parseAddressList } from './metrics-access';

describe('MetricsAccess', () => {
  it('allows loopback by default (IPv4, IPv6, IPv4-mapped) and nothing else without the token', () => {
    const m = new MetricsAccess({ token: null, allow: DEFAULT_METRICS_ALLOW });
    for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) expect(m.sourceAllowed(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', 'unknown']) expect(m.sourceAllowed(a), a).toBe(false);
    expect(m.allows('Bearer anything', '10.0.0.1')).toBe(false);
  });

  it('allows listed addresses and CIDR blocks', () => {
    const m = new MetricsAccess({ token: null, allow: ['10.8.0.0/16', '192.0.2.7'] });
    expect(m.sourceAllowed('10.8.200.1')).toBe(true);
    expect(m.sourceAllowed('::ffff:10.8.0.9')).toBe(true);
    expect(m.sourceAllowed('10.9.0.1')).toBe(false);
    expect(m.sourceAllowed('192.0.2.7')).toBe(true);
    expect(m.sourceAllowed('127.0.0.1')).toBe(false);
  });

  it('accepts the exact bearer token from anywhere', () => {
    const m = new MetricsAccess({ token: 'metrics-token-0123456789', allow: [] });
    expect(m.allows('Bearer metrics-token-0123456789', '203.0.113.1')).toBe(true);
    expect(m.allows('Bearer metrics-token-012345678', '203.0.113.1')).toBe(false);
    expect(m.allows('metrics-token-0123456789', '203.0.113.1')).toBe(false);
    expect(m.allows(undefined, '203.0.113.1')).toBe(false);
  });

  it('parses IOC_METRICS_ALLOW and refuses a bad entry at start', () => {
    expect(parseAddressList('10.0.0.0/8, ::1,192.0.2.1')).toEqual({ ok: true, entries: ['10.0.0.0/8', '::1', '192.0.2.1'] });
    expect(parseAddressList('10.0.0.0/33').ok).toBe(false);
    expect(parseAddressList('example.com').ok).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).metricsAllow).toEqual([...DEFAULT_METRICS_ALLOW]);
    expect(() => loadConfig({ NODE_ENV: 'test', IOC_METRICS_ALLOW: 'everyone' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', IOC_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
  });
});
