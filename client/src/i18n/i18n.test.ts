import { describe, expect, it } from 'vitest';
import { en, zh } from './messages';
import { formatDuration, pickText, t, unitText } from './i18n';
import { formatBeijingTime } from '../time/beijing-time';

describe('i18n', () => {
  it('defaults to Chinese and translates every key into English', () => {
    expect(t('app.title', undefined, 'zh')).toBe('青岛市城市运行管理中心');
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const [key, value] of Object.entries(en)) expect(value, key).not.toBe('');
  });

  it('fills placeholders', () => {
    expect(t('conn.disconnected', { age: '12秒' }, 'zh')).toBe('断开连接 · 12秒前');
    expect(t('panel.stale', { age: '2m' }, 'en')).toBe('Data delayed 2m');
  });

  it('formats durations with at most two units', () => {
    expect(formatDuration(45_000, 'zh')).toBe('45秒');
    expect(formatDuration(192_000, 'zh')).toBe('3分12秒');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000 + 7_000, 'en')).toBe('2h 5m');
  });

  it('picks the English wire text only in English, and drops Chinese count units there', () => {
    expect(pickText('市南区', 'Shinan', 'en')).toBe('Shinan');
    expect(pickText('市南区', undefined, 'en')).toBe('市南区');
    expect(unitText('个', 'en')).toBe('');
    expect(unitText('mm', 'en')).toBe('mm');
    expect(unitText('分', 'en')).toBe('pts');
    expect(unitText('分', 'zh')).toBe('分');
    expect(unitText('个', 'zh')).toBe('个');
  });

  it('shows wall clocks in Beijing time whatever the PC time zone', () => {
    // 2026-01-01T00:00:00Z is 08:00 in Beijing
    expect(formatBeijingTime(Date.UTC(2026, 0, 1, 0, 0, 0), 'en')).toBe('08:00:00');
  });
});
