/**
 * Wire shapes of area warnings and officer decisions (issue 14), server → client:
 * - `/live` event `warnings` (WarningsMessage): every active warning in the socket's data scope,
 *   on connect and after every change (coalesced); the same body answers `GET /api/warnings`;
 * - `GET /api/decisions` (DecisionsAnswer): what the duty officer has to decide, with the records
 *   the decisions name;
 * - `GET /api/alerts` (AlertsAnswer): the alert list, filtered.
 * Schemas so the client validates what it receives (STYLE: both directions typed).
 */
import { z } from 'zod';
import { AlertLevelSchema, DistrictCodeSchema, type Alert, type Incident } from '../domain';
import type { AreaWarning } from './area-warnings';
import type { OfficerDecision } from './decisions';

const LngLatSchema = z.tuple([z.number(), z.number()]);

export const AreaWarningSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  area: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('district'), district: DistrictCodeSchema }),
    z.object({ kind: z.literal('radius'), centre: LngLatSchema, radiusM: z.number() }),
  ]),
  district: DistrictCodeSchema,
  level: AlertLevelSchema,
  alertIds: z.array(z.string()),
  deviceIds: z.array(z.string()),
  firstTs: z.number(),
  lastTs: z.number(),
  active: z.boolean(),
  title: z.string(),
  titleEn: z.string(),
}) satisfies z.ZodType<AreaWarning>;

export const WarningsMessageSchema = z.object({
  /** epoch ms of the computation */
  generatedTs: z.number(),
  /** version of the area warning rules in force (0 = defaults) */
  rulesVersion: z.number().int(),
  /** active warnings in the receiver's scope, oldest first */
  warnings: z.array(AreaWarningSchema),
  /** alert id → id of the warning covering it: such alerts ask for no decision of their own */
  coveredBy: z.record(z.string(), z.string()),
});
export type WarningsMessage = z.infer<typeof WarningsMessageSchema>;

/** `GET /api/decisions`: the officer's short list and every record it names (all in the caller's scope). */
export interface DecisionsAnswer {
  generatedTs: number;
  /** bulletins (warnings grouped by rule and level), incidents in progress, proposed plans, loose alerts — in that order */
  decisions: OfficerDecision[];
  warnings: AreaWarning[];
  coveredBy: Record<string, string>;
  /** the incidents named by `incident` decisions */
  incidents: Incident[];
  /** the alerts named by `alert` decisions */
  alerts: Alert[];
}

/** `GET /api/alerts`: the newest alerts first. */
export interface AlertsAnswer {
  alerts: Alert[];
  /** matching alerts before the limit */
  total: number;
  /** for the returned alerts that a warning covers: alert id → warning id */
  coveredBy: Record<string, string>;
}
