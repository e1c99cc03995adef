/**
 * A deliberately tiny i18n: Chinese by default, English switchable, the choice persisted in
 * localStorage. `t()` reads the reactive `lang` ref, so templates re-render on a switch.
 */
import { ref } from 'vue';
import { en, zh } from './messages';
import type { MessageKey } from './messages';

export type Lang = 'zh' | 'en';
export type { MessageKey };

const LANG_STORAGE_KEY = 'ioc.lang';
const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { zh, en };

function readStoredLang(): Lang {
  try {
    const stored = globalThis.localStorage?.getItem(LANG_STORAGE_KEY);
    return stored === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

/** The current UI language. */
export const lang = ref<Lang>(readStoredLang());

export function setLang(next: Lang): void {
  lang.value = next;
  try {
    globalThis.localStorage?.setItem(LANG_STORAGE_KEY, next);
  } catch {
    // private mode: the choice simply is not remembered
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

export function toggleLang(): void {
  setLang(lang.value === 'zh' ? 'en' : 'zh');
}

/** Fills `{name}` placeholders of a message template; unknown names stay as written. */
export function fillTemplate(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** A translate function over one part's dictionaries (console, storm, plans, device control …). */
export function translator<K extends string>(dictionaries: Record<Lang, Record<K, string>>) {
  return (key: K, params?: Record<string, string | number>, language: Lang = lang.value): string =>
    fillTemplate(dictionaries[language][key] ?? key, params);
}

/** Translate `key` in `language` (default: current), filling `{name}` placeholders. */
export function t(key: MessageKey, params?: Record<string, string | number>, language: Lang = lang.value): string {
  return fillTemplate(DICTIONARIES[language][key] ?? key, params);
}

/** Pick the text of a bilingual pair from the wire (`name` / `nameEn`); falls back to Chinese. */
export function pickText(zhText: string, enText: string | undefined, language: Lang = lang.value): string {
  return language === 'en' && enText ? enText : zhText;
}

/** Chinese counting words the server uses as units; in English the bare number reads right. */
const COUNT_UNITS_ZH = new Set(['个', '座', '条', '件', '处', '台', '名', '人', '次', '支', '户', '栋', '辆', '起', '项', '路']);

/** A unit from the wire in the UI language (measurement units like 'mm', '%' stay as they are). */
/** Chinese units that have an English word (the bridges' health score is in 分, points). */
const UNITS_EN: Readonly<Record<string, string>> = { 分: 'pts', 分钟: 'min', 小时: 'h', 天: 'd' };

export function unitText(unit: string, language: Lang = lang.value): string {
  if (language !== 'en') return unit;
  return COUNT_UNITS_ZH.has(unit) ? '' : (UNITS_EN[unit] ?? unit);
}

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** A short human duration, two units at most: '45秒', '3分12秒', '2小时5分' / '3m12s'. */
export function formatDuration(ms: number, language: Lang = lang.value): string {
  const abs = Math.max(0, Math.abs(ms));
  const sep = language === 'zh' ? '' : ' ';
  const part = (key: MessageKey, n: number) => t(key, { n }, language);
  if (abs < SECOND_MS) return part('time.s', 0);
  if (abs < MINUTE_MS) return part('time.s', Math.floor(abs / SECOND_MS));
  if (abs < HOUR_MS) {
    const m = Math.floor(abs / MINUTE_MS);
    const s = Math.floor((abs % MINUTE_MS) / SECOND_MS);
    return s ? part('time.m', m) + sep + part('time.s', s) : part('time.m', m);
  }
  if (abs < DAY_MS) {
    const h = Math.floor(abs / HOUR_MS);
    const m = Math.floor((abs % HOUR_MS) / MINUTE_MS);
    return m ? part('time.h', h) + sep + part('time.m', m) : part('time.h', h);
  }
  const d = Math.floor(abs / DAY_MS);
  const h = Math.floor((abs % DAY_MS) / HOUR_MS);
  return h ? part('time.d', d) + sep + part('time.h', h) : part('time.d', d);
}
