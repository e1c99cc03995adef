/**
 * How a past or running contingency response (scenes/reports/plan-responses.ts) reads on the
 * report page and the briefing: level as the wall shows it (Ⅲ级响应), where, when, how long,
 * checklist progress and who. Pure text from the row and the language.
 */
import type { DistrictCode } from '@scenes/domain';
import { districtName } from '@scenes/geo/districts';
import type { ResponseLevel } from '@scenes/plans/plan-schema';
import type { PlanResponseRow } from '@scenes/reports/plan-responses';
import { formatDuration, pickText, type Lang } from '../../i18n/i18n';
import { formatBeijingDateTime } from '../../time/beijing-time';
import { LEVEL_NUMERALS } from '../../data/plans';
import { plt } from './messages';

const HOUR_MS = 3_600_000;

export function responseLevelText(level: ResponseLevel, lang: Lang): string {
  return plt('plan.level', { n: lang === 'en' ? level : LEVEL_NUMERALS[level] }, lang);
}

/** 市南区、市北区, or 全市 for a city-wide response */
export function responseDistrictsText(districts: readonly DistrictCode[], lang: Lang): string {
  return districts.length === 0 ? plt('plan.cityWide', {}, lang) : districts.map((d) => districtName(d, lang)).join(lang === 'en' ? ', ' : '、');
}

/** ms → hours with one decimal (the report's totals, as in its XLSX) */
export function responseHours(ms: number): number {
  return Math.round((ms / HOUR_MS) * 10) / 10;
}

/** The cells of one response in the report's list (same columns as the XLSX sheet 应急预案响应). */
export function planResponseCells(r: PlanResponseRow, lang: Lang): string[] {
  const who = (u: string) => (u === 'system' ? plt('plan.auto', {}, lang) : u);
  return [
    pickText(r.planName, r.planNameEn, lang),
    responseLevelText(r.level, lang),
    responseDistrictsText(r.districts, lang),
    formatBeijingDateTime(r.startedTs, lang),
    r.endedTs === null ? plt('plan.active', {}, lang) : formatBeijingDateTime(r.endedTs, lang),
    formatDuration(r.durationMs, lang),
    plt('plan.steps', { done: r.stepsDone, total: r.stepsTotal ?? '—' }, lang),
    who(r.startedBy),
    r.endedBy === null ? '—' : who(r.endedBy),
  ];
}
