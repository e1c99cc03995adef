import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { auditCsv, beijingTime } from './audit-csv';
import { GENESIS_HASH } from './audit-chain';

describe('audit CSV', () => {
  it('shows Beijing time with its offset', () => {
    expect(beijingTime(Date.UTC(2026, 10, 21, 20, 30, 5, 7))).toBe('2026-11-22T04:30:05.007+08:00');
  });

  it('has one row per record under fixed columns, and never starts a formula with what an attacker typed', () => {
    const csv = auditCsv([
      {
        seq: 7,
        ts: Date.UTC(2026, 0, 1),
        prevHash: GENESIS_HASH,
        hash: GENESIS_HASH,
        actor: '=HYPERLINK("http://evil")',
        source: '10.1.2.3',
        userAgent: '+cmd, "quoted"',
        action: 'auth.login_failed',
        outcome: 'failure',
        reason: 'E_UNAUTHORIZED: wrong password',
      },
    ]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows = parse(csv.slice(1)) as string[][];
    expect(rows[0]).toEqual(['time', 'actor', 'role', 'source', 'user_agent', 'action', 'target', 'outcome', 'reason', 'seq']);
    expect(rows[1]).toEqual([
      '2026-01-01T08:00:00.000+08:00',
      `'=HYPERLINK("http://evil")`,
      '',
      '10.1.2.3',
      `'+cmd, "quoted"`,
      'auth.login_failed',
      '',
      'failure',
      'E_UNAUTHORIZED: wrong password',
      '7',
    ]);
  });
});
