/**
 * Incidents cross-checked against the verified audit chain (issue 12): an incident history edited
 * in the store, a step deleted or inserted, or an incident rolled back to an older version is not
 * served as genuine. Pure: the caller (verify-cli.ts) loads the incidents and walks the chain.
 *
 * What is compared. Every applied command leaves two traces written by different code: one step
 * in the incident's `history` (with its commandId, actor, target state; `version` = steps so far)
 * and one `command` audit record with `details {type, commandId, version, state}` sealed in the
 * chain. An attacker with write access to the store can change the first but not the second.
 * - a person's step whose commandId has no applied-command record          → inserted (or edited id)
 * - an applied-command record whose commandId is not in the history         → deleted step
 * - a step whose actor differs from its record's actor (even `system`)      → edited actor
 * - a step that leads elsewhere than the state its record saw                → edited step
 * - a step that sits elsewhere than the version its record made             → history reordered
 * - a step whose record names another incident                              → step moved / copied
 * - a stored version below the highest version a record saw                  → rolled back
 * - an audited incident gone from the store before its retention ran out    → deleted incident
 *
 * Limits, by design: steps older than the chain's first retained record (a trim, or an install
 * older than the audit log) are "not judged"; steps by `system` (incidents opened from alerts)
 * have no command record, so a forged `system` step is caught only when it shifts an audited step
 * out of place. A retried command's record (`details.duplicate`) is no extra step; it vouches for
 * a step only when the first attempt's record is missing (its audit write failed, the retry was
 * audited) and it is by the same person.
 */
import type { Incident, IncidentTransition } from '../../scenes/domain';
import { SYSTEM_ACTOR_NAME } from '../../scenes/incident-machine';
import type { AuditRecord } from './audit';

/** What a successful `command` audit record on `incident:<id>` says (the part compared). */
export interface CommandAuditFact {
  seq: number;
  /** epoch ms the record was sealed */
  ts: number;
  actor: string;
  incidentId: string;
  commandId: string;
  /** command type, e.g. `incident.dispatch` */
  type?: string;
  /** the incident's version as the command left it (for a retry: as it was then) */
  version?: number;
  state?: string;
  /** a retried command answered from the stored outcome: not a step of its own */
  duplicate: boolean;
}

const TARGET_PREFIX = 'incident:';

/** The fact of an applied (or retried) incident command's record, or null for any other record. */
export function commandAuditFact(record: AuditRecord): CommandAuditFact | null {
  if (record.action !== 'command' || record.outcome !== 'success') return null;
  if (typeof record.target !== 'string' || !record.target.startsWith(TARGET_PREFIX)) return null;
  const d = record.details ?? {};
  if (typeof d.commandId !== 'string') return null;
  return {
    seq: record.seq,
    ts: record.ts,
    actor: record.actor,
    incidentId: record.target.slice(TARGET_PREFIX.length),
    commandId: d.commandId,
    ...(typeof d.type === 'string' ? { type: d.type } : {}),
    ...(Number.isSafeInteger(d.version) ? { version: d.version as number } : {}),
    ...(typeof d.state === 'string' ? { state: d.state } : {}),
    duplicate: d.duplicate === true,
  };
}

export interface CrosscheckInput {
  /** the stored incidents: every open and retained closed one, plus any other an audit record names */
  incidents: readonly Incident[];
  /** facts of the verified chain's records after its trim point (any order) */
  facts: readonly CommandAuditFact[];
  /** ts of the chain's first retained record (any action); null: the chain holds none, nothing is judged */
  judgedFromTs: number | null;
  /**
   * steps within this margin after `judgedFromTs` are not judged either: after a trim, a step's
   * record may be among the trimmed ones although the step's time (the applying node's clock) is a
   * little after the first retained record's (the sealing node's clock); 0 for an untrimmed chain, ms
   */
  clockMarginMs: number;
  /** now, epoch ms: an audited incident closed longer than `closedRetentionMs` ago may be gone */
  nowTs: number;
  /** how long a closed incident is kept (IOC_RETENTION_DAYS), ms */
  closedRetentionMs: number;
}

export type DisagreementKind =
  'unaudited_step' | 'deleted_step' | 'actor_changed' | 'step_changed' | 'out_of_place' | 'other_incident' | 'rolled_back' | 'incident_deleted';

export interface IncidentDisagreement {
  incidentId: string;
  kind: DisagreementKind;
  /** the step's / record's command id, when one is named */
  commandId?: string;
  /** the audit record compared, when one is */
  seq?: number;
  /** when it happened (the step's or the record's time), ms: the first one per incident is reported */
  ts: number;
  /** one line for the operator, naming the incident, the step and the record */
  message: string;
}

export interface CrosscheckResult {
  /** incidents with at least one judged step or audit record and no disagreement */
  agreeing: number;
  /** incidents whose every step predates the chain's retained range and no record names */
  notJudged: number;
  /** person steps older than the retained range (not judged) */
  stepsNotJudged: number;
  /** the first disagreement per incident, incidents in id order */
  disagreements: IncidentDisagreement[];
}

function stepLabel(s: IncidentTransition): string {
  return `${s.action} by ${s.actor}`;
}

function factLabel(f: CommandAuditFact): string {
  return `${f.type ?? 'command'} by ${f.actor}, audit record seq ${f.seq}`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

export function crosscheckIncidents(input: CrosscheckInput): CrosscheckResult {
  const factsByIncident = groupBy(input.facts, (f) => f.incidentId);
  // a non-retry record names where its step was applied: a step found elsewhere was moved
  const appliedByCommand = groupBy(
    input.facts.filter((f) => !f.duplicate),
    (f) => f.commandId,
  );
  const stored = new Map(input.incidents.map((i) => [i.id, i]));
  const result: CrosscheckResult = { agreeing: 0, notJudged: 0, stepsNotJudged: 0, disagreements: [] };

  for (const incident of [...stored.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const facts = factsByIncident.get(incident.id) ?? [];
    const r = judgeIncident(incident, facts, appliedByCommand, input);
    result.stepsNotJudged += r.stepsNotJudged;
    if (r.first) result.disagreements.push(r.first);
    else if (r.judged) result.agreeing++;
    else result.notJudged++;
  }
  for (const [incidentId, facts] of factsByIncident) {
    if (stored.has(incidentId)) continue;
    const gone = missingIncident(incidentId, facts, input);
    if (gone) result.disagreements.push(gone);
  }
  result.disagreements.sort((a, b) => (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0));
  return result;
}

function judgeIncident(
  incident: Incident,
  facts: readonly CommandAuditFact[],
  appliedByCommand: ReadonlyMap<string, CommandAuditFact[]>,
  input: CrosscheckInput,
): { first: IncidentDisagreement | null; judged: boolean; stepsNotJudged: number } {
  const found: IncidentDisagreement[] = [];
  const say = (kind: DisagreementKind, ts: number, message: string, commandId?: string, seq?: number) =>
    found.push({
      incidentId: incident.id,
      kind,
      ts,
      message: `incident ${incident.id} ${message}`,
      ...(commandId !== undefined ? { commandId } : {}),
      ...(seq !== undefined ? { seq } : {}),
    });
  const history = Array.isArray(incident.history) ? incident.history : [];
  const matched = new Set<number>();

  // records → steps: each applied command's step must be there, as the record saw it
  for (const f of [...facts].filter((x) => !x.duplicate).sort((a, b) => a.seq - b.seq)) {
    const atVersion = f.version !== undefined ? history[f.version - 1] : undefined;
    let index = atVersion?.commandId === f.commandId && !matched.has(f.version! - 1) ? f.version! - 1 : -1;
    if (index < 0) index = history.findIndex((s, i) => !matched.has(i) && s.commandId === f.commandId);
    if (index < 0) {
      say('deleted_step', f.ts, `lacks step ${f.commandId} (${factLabel(f)}): the step was deleted`, f.commandId, f.seq);
      continue;
    }
    matched.add(index);
    const step = history[index]!;
    if (step.actor !== f.actor) {
      say(
        'actor_changed',
        f.ts,
        `step ${f.commandId} (${stepLabel(step)}) was done by ${f.actor} according to audit record seq ${f.seq}`,
        f.commandId,
        f.seq,
      );
    } else if (f.state !== undefined && step.to !== f.state) {
      say(
        'step_changed',
        f.ts,
        `step ${f.commandId} (${stepLabel(step)}) leads to '${step.to}' but audit record seq ${f.seq} saw '${f.state}'`,
        f.commandId,
        f.seq,
      );
    } else if (f.version !== undefined && index !== f.version - 1) {
      say(
        'out_of_place',
        f.ts,
        `step ${f.commandId} (${stepLabel(step)}) is step ${index + 1} of the history but audit record seq ${f.seq} made version ${f.version}: steps before it were inserted or deleted`,
        f.commandId,
        f.seq,
      );
    }
  }

  // steps → records: a person's step inside the retained range needs its record
  let stepsNotJudged = 0;
  let judgedSteps = 0;
  const judgedFrom = input.judgedFromTs === null ? null : input.judgedFromTs + input.clockMarginMs;
  history.forEach((step, i) => {
    if (matched.has(i) || step.actor === SYSTEM_ACTOR_NAME) return;
    if (judgedFrom === null || !(step.ts >= judgedFrom)) {
      stepsNotJudged++;
      return;
    }
    judgedSteps++;
    const retry = facts.find((f) => f.duplicate && f.commandId === step.commandId && f.actor === step.actor);
    if (retry) return; // the first attempt's record was lost, its retry by the same person was audited
    const elsewhere = (appliedByCommand.get(step.commandId) ?? []).find((f) => f.incidentId !== incident.id);
    if (elsewhere) {
      say(
        'other_incident',
        step.ts,
        `step ${step.commandId} (${stepLabel(step)}) belongs to incident ${elsewhere.incidentId} according to audit record seq ${elsewhere.seq}`,
        step.commandId,
        elsewhere.seq,
      );
      return;
    }
    say('unaudited_step', step.ts, `step ${step.commandId} (${stepLabel(step)}) has no audit record`, step.commandId);
  });

  // versions: the store may not hold an older incident than a command already saw
  const newest = facts.reduce<CommandAuditFact | null>((m, f) => (f.version !== undefined && (!m || f.version > m.version!) ? f : m), null);
  if (newest && incident.version < newest.version!) {
    say(
      'rolled_back',
      newest.ts,
      `is at version ${incident.version} but audit record seq ${newest.seq} (${newest.type ?? 'command'} by ${newest.actor}) saw version ${newest.version}: rolled back`,
      newest.commandId,
      newest.seq,
    );
  }

  const first = found.reduce<IncidentDisagreement | null>((m, d) => (!m || d.ts < m.ts ? d : m), null);
  return { first, judged: facts.length > 0 || judgedSteps > 0, stepsNotJudged };
}

/**
 * An incident the chain names but the store no longer has. Closed is final (nothing is applied to
 * a closed incident), so the newest applied record tells: it closed the incident at or before its
 * own time, and the store keeps a closed incident `closedRetentionMs`; anything else was deleted.
 */
function missingIncident(incidentId: string, facts: readonly CommandAuditFact[], input: CrosscheckInput): IncidentDisagreement | null {
  const newest = facts.reduce((m, f) => (f.seq > m.seq ? f : m));
  const expired = newest.state === 'closed' && newest.ts + input.closedRetentionMs <= input.nowTs;
  if (expired) return null;
  return {
    incidentId,
    kind: 'incident_deleted',
    commandId: newest.commandId,
    seq: newest.seq,
    ts: newest.ts,
    message: `incident ${incidentId} is missing from the store, but audit record seq ${newest.seq} (${newest.type ?? 'command'} by ${newest.actor}) saw it ${
      newest.state === 'closed' ? `closed at ${new Date(newest.ts).toISOString()}, within retention` : `'${newest.state ?? 'open'}'`
    }: it was deleted`,
  };
}
