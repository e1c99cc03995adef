/**
 * The briefing's period selector (issue 16): 今日 / 近7天 / 近30天 / 自定义 drive
 * `GET /api/briefing?period=…` (server/briefing.ts), and the KPI tiles show the period's sums
 * beside the numbers that are always "now" (open, overdue, people on duty, escalations).
 */
import type { BriefingAnswer, BriefingPeriodKind } from '../../../../server/briefing';
import { call, type ApiResult } from '../../data/rest';
import { bpt } from './brief-messages';

export type { BriefingAnswer, BriefingPeriodKind };
export const BRIEF_PERIODS: readonly BriefingPeriodKind[] = ['today', '7d', '30d', 'custom'];

export interface BriefPeriodForm {
  period: BriefingPeriodKind;
  /** YYYY-MM-DD (Beijing), custom only */
  from: string;
  to: string;
}

export function briefingQuery(f: BriefPeriodForm): string {
  const q = new URLSearchParams({ period: f.period });
  if (f.period === 'custom') {
    q.set('from', f.from);
    q.set('to', f.to);
  }
  return q.toString();
}

export function fetchBriefingFor(token: string, f: BriefPeriodForm): Promise<ApiResult<BriefingAnswer>> {
  return call(token, `/api/briefing?${briefingQuery(f)}`);
}

/** The period as the tiles and chart titles name it: 今日, 近7天, or `2026-11-01—2026-11-30`. */
export function periodLabel(f: Pick<BriefPeriodForm, 'period' | 'from' | 'to'>): string {
  return f.period === 'custom' ? `${f.from}—${f.to}` : bpt(`bp.${f.period}`);
}

export interface BriefKpi {
  key: string;
  label: string;
  value: string | number;
  sub?: string;
  /** 'nodata': the value is the no-data text (set smaller than a number) */
  cls: '' | 'good' | 'bad' | 'warn' | 'nodata';
}

/** Labels of the tiles whose value is always "now" (the page passes its own translations). */
export interface NowLabels {
  open: string;
  overdue: string;
  handlers: string;
  busy: string;
  escalations: string;
  noData: string;
}

/** The KPI tiles: the period's sums first (today's numbers for 今日), then the numbers of now. */
export function briefKpis(b: BriefingAnswer, f: BriefPeriodForm, now: NowLabels): BriefKpi[] {
  const p = periodLabel(f);
  const sums = b.period;
  const pct = sums.slaCompliancePct === null ? now.noData : `${sums.slaCompliancePct}%`;
  const t = b.today;
  return [
    { key: 'alerts', label: bpt('bp.alerts', { p }), value: sums.alertsRaised, cls: '' },
    { key: 'new', label: bpt('bp.incidents', { p }), value: sums.incidentsCreated, cls: '' },
    { key: 'open', label: now.open, value: t.incidentsOpen, cls: '' },
    { key: 'closed', label: bpt('bp.closed', { p }), value: sums.incidentsClosed, cls: 'good' },
    { key: 'overdue', label: now.overdue, value: t.overdueOpen, cls: t.overdueOpen > 0 ? 'bad' : '' },
    { key: 'sla', label: bpt('bp.sla', { p }), value: pct, cls: sums.slaCompliancePct === null ? 'nodata' : '' },
    { key: 'handlers', label: now.handlers, value: `${t.handlersOnDuty}`, sub: `${now.busy} ${t.handlersBusy}`, cls: '' },
    { key: 'esc', label: now.escalations, value: t.escalationsPending, cls: t.escalationsPending > 0 ? 'warn' : '' },
  ];
}
