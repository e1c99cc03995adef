/**
 * The query of a report (`GET /api/reports?kind=&date=&from=&to=&district=`), validated once here
 * for the server and the client: a daily/weekly/monthly period needs `date`, a custom one `from`
 * and `to` (whole Beijing days, both included, at most `customPeriodMaxDays`).
 */
import { z } from 'zod';
import { DistrictCodeSchema } from '../domain';
import { DEFAULT_REPORT_LIMITS } from './report-config';
import { ReportDateSchema, ReportKindSchema, type ReportPeriod, customPeriod, periodDays, reportPeriod } from './report-period';

export const REPORT_FORMATS = ['xlsx', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const ReportQuerySchema = z
  .object({
    kind: ReportKindSchema,
    date: ReportDateSchema.optional(),
    from: ReportDateSchema.optional(),
    to: ReportDateSchema.optional(),
    district: DistrictCodeSchema.optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.kind !== 'custom') {
      if (q.date === undefined) ctx.addIssue({ code: 'custom', path: ['date'], message: `a ${q.kind} report needs date=YYYY-MM-DD` });
      return;
    }
    if (q.from === undefined || q.to === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'a custom report needs from= and to= (YYYY-MM-DD)' });
      return;
    }
    const p = customPeriod(q.from, q.to);
    if (!p) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
    else if (periodDays(p) > DEFAULT_REPORT_LIMITS.customPeriodMaxDays)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `a custom report covers at most ${DEFAULT_REPORT_LIMITS.customPeriodMaxDays} days` });
  });
export type ReportQuery = z.infer<typeof ReportQuerySchema>;

export const ReportFormatSchema = z.enum(REPORT_FORMATS);

/** The period a valid query asks for. */
export function periodOfQuery(q: ReportQuery): ReportPeriod {
  const p = q.kind === 'custom' ? customPeriod(q.from!, q.to!) : reportPeriod(q.kind, q.date!);
  // the schema's refinements guarantee a period
  if (!p) throw new Error('report query was not validated');
  return p;
}
