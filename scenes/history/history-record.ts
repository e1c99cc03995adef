/**
 * What the history archive needs to know of a record besides the record: which of two copies is
 * newer (several nodes may write the same record, and writes may arrive out of order) and when it
 * finished (retention counts from then; unfinished records are kept). Pure.
 */
import type { Alert, Incident } from '../domain';

/** Digits of each padded revision part: revisions compare as strings (in Lua too). */
const VERSION_DIGITS = 12;
const TS_DIGITS = 15;
const COUNT_DIGITS = 10;

function pad(n: number, digits: number): string {
  return String(Math.max(0, Math.trunc(n))).padStart(digits, '0');
}

/**
 * An incident's revision: its compare-and-set version (+1 per transition), so an older copy never
 * replaces a newer one and the same copy written twice is one record.
 */
export function incidentRevision(i: Pick<Incident, 'version'>): string {
  return pad(i.version, VERSION_DIGITS);
}

/**
 * An alert's revision: alerts carry no version, but every change moves one of these forward —
 * last observation time, observation count, cleared, acknowledged, linked to an incident.
 */
export function alertRevision(a: Pick<Alert, 'lastTs' | 'count' | 'cleared' | 'acknowledged' | 'incidentId'>): string {
  const flags = `${a.cleared ? 1 : 0}${a.acknowledged ? 1 : 0}${a.incidentId !== undefined ? 1 : 0}`;
  return `${pad(a.lastTs, TS_DIGITS)}.${pad(a.count, COUNT_DIGITS)}.${flags}`;
}

/** When an incident finished (closed), epoch ms; undefined while it is not closed. */
export function incidentEndTs(i: Pick<Incident, 'state' | 'closedTs' | 'updatedTs'>): number | undefined {
  return i.state === 'closed' ? (i.closedTs ?? i.updatedTs) : undefined;
}

/** When an alert finished (cleared and acknowledged), epoch ms; undefined while it is open. */
export function alertEndTs(a: Pick<Alert, 'cleared' | 'acknowledged' | 'clearedTs' | 'ackTs' | 'lastTs'>): number | undefined {
  if (!a.cleared || !a.acknowledged) return undefined;
  return Math.max(a.clearedTs ?? a.lastTs, a.ackTs ?? a.lastTs);
}

/** Is a finished record past retention at `nowTs`? Unfinished ones are kept, however old. */
export function isExpired(endTs: number | undefined, nowTs: number, retentionMs: number): boolean {
  return endTs !== undefined && endTs < nowTs - retentionMs;
}
