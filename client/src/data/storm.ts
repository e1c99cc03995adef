/**
 * Storm operations on the wire (issue 14), for the console: district warnings pushed on `/live`
 * as `warnings` (AreaWarning[] and the coveredBy map alertId → warningId, scenes/storm/
 * area-warnings.ts), the officer's decisions (`GET /api/decisions`), 查重 candidates for a manual
 * create (`GET /api/incidents/duplicates`) and the bulk acknowledgement command.
 *
 * Everything received is validated here (zod, the server's schemas in scenes/storm/
 * warning-messages.ts) before a store sees it; an answer of an unexpected shape is treated as
 * "not available", never thrown.
 */
import { z } from 'zod';
import { AlertLevelSchema, DistrictCodeSchema, type LngLat } from '@scenes/domain';
import type { AreaWarning, AreaWarningResult } from '@scenes/storm/area-warnings';
import { AreaWarningSchema } from '@scenes/storm/warning-messages';
import type { OfficerDecision } from '@scenes/storm/decisions';
import type { CommandResult } from '@scenes/protocol';
import type { LiveTransport } from '../connection';
import { call, type ApiResult } from './rest';
import { newCommandId, sendCommand } from './incidents';

const LngLatWire = z.tuple([z.number(), z.number()]);

const WarningsWire = z.union([
  z.array(AreaWarningSchema),
  z.object({ warnings: z.array(AreaWarningSchema), coveredBy: z.record(z.string(), z.string()).optional() }).passthrough(),
]);

/** Keys from the wire that must never become object keys. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A `warnings` push (either the bare list or `{ warnings, coveredBy }`) as warnings and the
 * coveredBy map; the map is rebuilt from the warnings' alert ids when absent. Null when malformed.
 */
export function parseWarningsMessage(payload: unknown): AreaWarningResult | null {
  const r = WarningsWire.safeParse(payload);
  if (!r.success) return null;
  const warnings = (Array.isArray(r.data) ? r.data : r.data.warnings) as AreaWarning[];
  const given = Array.isArray(r.data) ? undefined : r.data.coveredBy;
  const coveredBy: Record<string, string> = Object.create(null) as Record<string, string>;
  if (given) {
    for (const [alertId, warningId] of Object.entries(given)) if (!RESERVED_KEYS.has(alertId)) coveredBy[alertId] = warningId;
  } else {
    for (const w of warnings) for (const id of w.alertIds) if (!RESERVED_KEYS.has(id)) coveredBy[id] = w.id;
  }
  return { warnings, coveredBy };
}

/** The `/live` event name of district warnings (sent by the server's storm module). */
export const WARNINGS_EVENT = 'warnings';

type UntypedOn = (event: string, handler: (payload: unknown) => void) => () => void;

/**
 * Listen to district warnings. Returns the unsubscribe. The event is not (yet) in the typed
 * LiveServerEvents map, so it is read as `unknown` and validated here.
 */
export function subscribeWarnings(transport: LiveTransport, onWarnings: (result: AreaWarningResult) => void): () => void {
  const on = transport.on.bind(transport) as unknown as UntypedOn;
  return on(WARNINGS_EVENT, (payload) => {
    const parsed = parseWarningsMessage(payload);
    if (parsed) onWarnings(parsed);
  });
}

/** `GET /api/warnings`: the current warnings (a late joiner's first frame), where the server offers it. */
export async function fetchWarnings(token: string): Promise<AreaWarningResult | null> {
  const r = await call<Record<string, unknown>>(token, '/api/warnings');
  if (!r.ok) return null;
  const { ok: _ok, ...body } = r;
  return parseWarningsMessage(Array.isArray(body.warnings) ? body : Object.values(body));
}

const DecisionWire = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('bulletin'),
    ruleId: z.string(),
    level: AlertLevelSchema,
    warningIds: z.array(z.string()),
    districts: z.array(DistrictCodeSchema),
    alertCount: z.number(),
  }),
  z.object({ kind: z.literal('incident'), incidentId: z.string() }),
  z.object({ kind: z.literal('plan'), planId: z.string() }),
  z.object({ kind: z.literal('alert'), alertId: z.string() }),
]);

/** Decisions from `{ decisions: [...] }` (or a bare array); null when malformed. */
export function parseDecisions(body: unknown): OfficerDecision[] | null {
  const list = Array.isArray(body) ? body : (body as { decisions?: unknown } | null)?.decisions;
  const r = z.array(DecisionWire).safeParse(list);
  return r.success ? (r.data as OfficerDecision[]) : null;
}

/** `GET /api/decisions`: what the officer has to decide (scope-filtered by the server); null when unavailable. */
export async function fetchDecisions(token: string): Promise<OfficerDecision[] | null> {
  const r = await call<{ decisions?: unknown }>(token, '/api/decisions');
  return r.ok ? parseDecisions(r.decisions) : null;
}

export interface DuplicateCandidate {
  incidentId: string;
  title: string;
  /** metres from the place of the new incident */
  distanceM: number;
}

const IncidentLike = z.object({ id: z.string(), title: z.string(), location: LngLatWire });
const CandidateWire = z.union([
  z.object({ incident: IncidentLike, distanceM: z.number() }),
  IncidentLike.extend({ distanceM: z.number().optional() }),
]);
type CandidateOnWire = z.infer<typeof CandidateWire>;
const incidentOf = (c: CandidateOnWire): z.infer<typeof IncidentLike> => ('incident' in c ? c.incident : c);

/**
 * 查重 candidates from `{ candidates | duplicates | incidents: [...] }`, each an incident or
 * `{ incident, distanceM }`; `distanceOf` fills a missing distance. Null when malformed.
 */
export function parseDuplicateCandidates(body: unknown, distanceOf: (p: LngLat) => number): DuplicateCandidate[] | null {
  const b = body as Record<string, unknown> | null;
  const list = Array.isArray(body) ? body : (b?.candidates ?? b?.duplicates ?? b?.incidents);
  const r = z.array(CandidateWire).safeParse(list);
  if (!r.success) return null;
  return r.data
    .map((c) => {
      const inc = incidentOf(c);
      const distanceM = c.distanceM ?? distanceOf(inc.location);
      return { incidentId: inc.id, title: inc.title, distanceM };
    })
    .sort((a, b) => a.distanceM - b.distanceM);
}

/** `GET /api/incidents/duplicates?category=&lng=&lat=`; null when the server does not answer it. */
export async function fetchDuplicateCandidates(
  token: string,
  q: { category: string; location: LngLat },
  distanceOf: (p: LngLat) => number,
): Promise<DuplicateCandidate[] | null> {
  const qs = new URLSearchParams({ category: q.category, lng: String(q.location[0]), lat: String(q.location[1]) });
  const r: ApiResult<Record<string, unknown>> = await call<Record<string, unknown>>(token, `/api/incidents/duplicates?${qs.toString()}`);
  if (!r.ok) return null;
  const { ok: _ok, ...body } = r;
  return parseDuplicateCandidates(body, distanceOf);
}

/** `alert.ack_bulk` for explicit alert ids (at most ACK_BULK_MAX_IDS per command). */
export function sendAckBulk(transport: LiveTransport, alertIds: string[]): Promise<CommandResult> {
  return sendCommand(transport, { type: 'alert.ack_bulk', commandId: newCommandId('o'), alertIds });
}
