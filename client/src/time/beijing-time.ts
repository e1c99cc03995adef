/**
 * Beijing time (Asia/Shanghai, UTC+8, no DST) for clocks and timestamps, via Intl so the wall
 * shows city time whatever time zone the display PC is set to.
 */
import type { Lang } from '../i18n/i18n';

export const BEIJING_TIME_ZONE = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: 'date' | 'time' | 'dateTime' | 'hm', language: Lang): Intl.DateTimeFormat {
  const key = `${kind}|${language}`;
  let f = formatters.get(key);
  if (!f) {
    const locale = language === 'zh' ? 'zh-CN' : 'en-GB';
    const base: Intl.DateTimeFormatOptions = { timeZone: BEIJING_TIME_ZONE, hourCycle: 'h23' };
    const opts: Intl.DateTimeFormatOptions =
      kind === 'date'
        ? { ...base, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }
        : kind === 'time'
          ? { ...base, hour: '2-digit', minute: '2-digit', second: '2-digit' }
          : kind === 'hm'
            ? { ...base, hour: '2-digit', minute: '2-digit' }
            : { ...base, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' };
    f = new Intl.DateTimeFormat(locale, opts);
    formatters.set(key, f);
  }
  return f;
}

/** '14:05:09' in Beijing time. */
export function formatBeijingTime(ts: number, language: Lang): string {
  return formatter('time', language).format(ts);
}

/** '14:05' in Beijing time. */
export function formatBeijingHourMinute(ts: number, language: Lang): string {
  return formatter('hm', language).format(ts);
}

/** '2026/11/21 周六' / '21/11/2026, Sat' in Beijing time. */
export function formatBeijingDate(ts: number, language: Lang): string {
  return formatter('date', language).format(ts);
}

/** '11/21 14:05:09' in Beijing time. */
export function formatBeijingDateTime(ts: number, language: Lang): string {
  return formatter('dateTime', language).format(ts);
}
