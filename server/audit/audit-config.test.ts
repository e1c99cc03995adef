import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';

describe('audit configuration', () => {
  it('anchors to var/audit-anchors.jsonl by default, nowhere in tests unless given, and keeps 184 days', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).auditAnchorFile).toMatch(/var\/audit-anchors\.jsonl$/);
    expect(loadConfig({ NODE_ENV: 'test' }).auditAnchorFile).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', IOC_AUDIT_ANCHOR_FILE: '/tmp/a.jsonl' }).auditAnchorFile).toBe('/tmp/a.jsonl');
    const c = loadConfig({ NODE_ENV: 'test' });
    expect(c.auditRetentionDays).toBe(184);
    expect(c.auditAnchorIntervalMs).toBe(60_000);
  });

  it('refuses a retention below six months in production', () => {
    const production = { NODE_ENV: 'production', IOC_JWT_SECRET: 'j'.repeat(40), IOC_DEVICE_SECRET: 'd'.repeat(40), IOC_AUDIT_KEY: 'a'.repeat(40) };
    expect(() => loadConfig({ ...production, IOC_AUDIT_RETENTION_DAYS: '30' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, IOC_AUDIT_RETENTION_DAYS: '30' })).toThrow(/IOC_AUDIT_RETENTION_DAYS must be at least 184/);
    expect(loadConfig({ ...production, IOC_AUDIT_RETENTION_DAYS: '365' }).auditRetentionDays).toBe(365);
    expect(loadConfig({ NODE_ENV: 'development', IOC_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
  });
});
