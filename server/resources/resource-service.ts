/**
 * Live emergency resources (issue 17): rescue teams, supply depots and shelters assigned to
 * incidents. The registry holds each resource's capacity and `available` (what may be assigned
 * in all); the assignment store holds what incidents took. Fusion shows `available` minus the
 * units taken, so every wall and console sees a team leave as it is assigned.
 *
 * - assign: officer/admin, incident and resource in the caller's scope, incident in progress;
 *   idempotent by commandId; refused with E_CONFLICT when not enough is left (the store checks
 *   and takes in one step, so two nodes never over-assign);
 * - release: gives the units back; resolving or closing an incident releases everything it holds
 *   (the change notifier's hook, origin node only);
 * - every assign/release is audited (`resource.assign`, `resource.release`) and written to the
 *   incident's event log as a note (`incident.note`).
 *
 * A started contingency plan holds resources the same way under its own holder id
 * (`holdFor` / `releaseHolder`; server/plans/plan-resources.ts decides, records and audits).
 *
 * Other nodes' assignments reach this node's fusion at the next refresh (refreshIntervalMs).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

import { isIncidentInProgress } from '../../scenes/incident-states';
import { IdSchema, RESOURCE_KINDS, type DistrictCode, type Incident, type ResourceKind, type Role } from '../../scenes/domain';
import type { CommandResult, IocError } from '../../scenes/protocol';
import { districtInScope, type DataScope } from '../../scenes/scope';
import type { AuditRecorder } from '../audit/audit';
import type { ChangeNotifier } from '../commands';
import type { CommandContext } from '../command-audit';
import { iocError, validationError } from '../errors';
import type { Logger } from '../logger';
import type { RegistryAsset } from '../registry/registry-schemas';
import type { AssignOutcome, ResourceAssignment, ResourceAssignStore } from '../store/resource-assign-store';

/** Who may assign and release resources. */
export const RESOURCE_ASSIGN_ROLES: readonly Role[] = ['officer', 'admin'];

export const AssignResourceRequestSchema = z
  .object({
    resourceId: IdSchema,
    /** units: team members, supply units, shelter places */
    amount: z.number().int().min(1).max(1_000_000),
    /** idempotency key: the same id is never applied twice to an incident */
    commandId: z
      .string()
      .min(8)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/),
  })
  .strict();
export type AssignResourceRequest = z.infer<typeof AssignResourceRequestSchema>;

/** A resource as the console shows it after a change. */
export interface LiveResource {
  id: string;
  kind: ResourceKind;
  capacity: number;
  /** free now: the registry's available minus every incident's assignment, never below 0 */
  available: number;
}

export type ResourceResult<T> = ({ ok: true } & T) | { ok: false; error: IocError };

export interface ResourceServiceDeps {
  store: ResourceAssignStore;
  /** the live incidents */
  incidents: ReadonlyMap<string, Incident>;
  /** the registry record of a resource (capacity, available) */
  getAsset: (id: string) => RegistryAsset | undefined;
  /** fusion: units assigned per resource (screens show what is left) */
  applyAssignments: (assigned: ReadonlyMap<string, number>) => void;
  audit: AuditRecorder;
  log: Logger;
  /** writes the note into the incident's event log (CommandService.execute); late-bound */
  executeCommand?: (raw: unknown, actor: { username: string; role: Role }, context: CommandContext) => Promise<CommandResult>;
  now?: () => number;
  /** how often the totals are re-read (other nodes' assignments), ms */
  refreshIntervalMs?: number;
}

const RESOURCE_KIND_SET: ReadonlySet<string> = new Set(RESOURCE_KINDS);
export const DEFAULT_RESOURCE_REFRESH_MS = 5_000;
const SYSTEM_ACTOR = { username: 'system', role: 'admin' as Role };

interface Registered {
  id: string;
  kind: ResourceKind;
  district: DistrictCode;
  capacity: number;
  /** what may be assigned in all */
  limit: number;
  name: string;
}

function registered(record: RegistryAsset | undefined): Registered | null {
  if (!record || record.retired || !RESOURCE_KIND_SET.has(record.type)) return null;
  const capacity = typeof record.attributes.capacity === 'number' ? record.attributes.capacity : 0;
  const limit = typeof record.attributes.available === 'number' ? record.attributes.available : capacity;
  return { id: record.id, kind: record.type as ResourceKind, district: record.district, capacity, limit: Math.max(0, limit), name: record.name };
}

/** A command id for the event-log note derived from the assignment's (a replay writes no second note). */
function noteCommandId(prefix: string, key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export class ResourceService {
  private totals = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;

  private execute: ResourceServiceDeps['executeCommand'];

  constructor(private readonly d: ResourceServiceDeps) {
    this.now = d.now ?? Date.now;
    this.execute = d.executeCommand;
  }

  /** Reads the totals, tells fusion, then re-reads them every refresh interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.d.log.warn({ err }, 'resource assignments: refresh failed; will retry'));
    }, this.d.refreshIntervalMs ?? DEFAULT_RESOURCE_REFRESH_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The commands that write the event-log notes (created after this service: it wraps their notifier). */
  useCommands(execute: NonNullable<ResourceServiceDeps['executeCommand']>): void {
    this.execute = execute;
  }

  async refresh(): Promise<void> {
    this.setTotals(await this.d.store.assignedTotals());
  }

  private setTotals(totals: Map<string, number>): void {
    this.totals = totals;
    this.d.applyAssignments(totals);
  }

  private setTotal(resourceId: string, total: number): void {
    const next = new Map(this.totals);
    if (total > 0) next.set(resourceId, total);
    else next.delete(resourceId);
    this.setTotals(next);
  }

  /** A resource as it stands now (after this node's last change). */
  live(resourceId: string): LiveResource | null {
    const r = registered(this.d.getAsset(resourceId));
    if (!r) return null;
    return { id: r.id, kind: r.kind, capacity: r.capacity, available: Math.max(0, r.limit - (this.totals.get(r.id) ?? 0)) };
  }

  private incidentFor(scope: DataScope, incidentId: string): ResourceResult<{ incident: Incident }> {
    const incident = this.d.incidents.get(incidentId);
    // out of scope answers like a missing one: a scoped officer learns nothing of other districts
    if (!incident || !districtInScope(scope, incident.district)) return { ok: false, error: iocError('E_NOT_FOUND', `no incident ${incidentId}`) };
    return { ok: true, incident };
  }

  async list(scope: DataScope, incidentId: string): Promise<ResourceResult<{ assignments: ResourceAssignment[] }>> {
    const found = this.incidentFor(scope, incidentId);
    if (!found.ok) return found;
    return { ok: true, assignments: await this.d.store.listForIncident(incidentId) };
  }

  // --- holders other than incidents (a started plan instance: scenes/plans planResourceHolderId) ---
  // no incident or scope checks and no event-log note: the plan service authorises, records and audits

  /** What a holder holds, by resource id. */
  heldBy(holderId: string): Promise<ResourceAssignment[]> {
    return this.d.store.listForIncident(holderId);
  }

  /**
   * Takes `amount` units of a resource for a holder, within what the registry lets be assigned;
   * idempotent by `commandId` per holder. Fusion sees the new totals at once (the screens' live
   * availability), like an incident's assignment.
   */
  async holdFor(
    holderId: string,
    resourceId: string,
    amount: number,
    commandId: string,
    actor: string,
  ): Promise<AssignOutcome | { status: 'unknown' }> {
    const resource = registered(this.d.getAsset(resourceId));
    if (!resource) return { status: 'unknown' };
    const outcome = await this.d.store.assign({ incidentId: holderId, resourceId, amount, commandId, actor, ts: this.now(), limit: resource.limit });
    this.setTotal(resource.id, outcome.assignedTotal);
    return outcome;
  }

  /** Gives back one resource a holder holds (null: it held none). */
  async releaseFrom(holderId: string, resourceId: string): Promise<ResourceAssignment | null> {
    const outcome = await this.d.store.release(holderId, resourceId);
    if (outcome.status === 'not_found') return null;
    this.setTotal(resourceId, outcome.assignedTotal);
    return outcome.assignment;
  }

  /** Gives back everything a holder holds; answers what was released. */
  async releaseHolder(holderId: string): Promise<ResourceAssignment[]> {
    const released = await this.d.store.releaseIncident(holderId);
    if (released.length > 0) await this.refresh();
    return released;
  }

  async assign(
    actor: { username: string; role: Role },
    scope: DataScope,
    incidentId: string,
    body: unknown,
    context: CommandContext = {},
  ): Promise<ResourceResult<{ assignment: ResourceAssignment | null; resource: LiveResource; duplicate: boolean }>> {
    const parsed = AssignResourceRequestSchema.safeParse(body);
    if (!parsed.success) return { ok: false, error: validationError(parsed.error, 'resource assignment') };
    const req = parsed.data;
    const found = this.incidentFor(scope, incidentId);
    if (!found.ok) return found;
    const resource = registered(this.d.getAsset(req.resourceId));
    if (!resource || !districtInScope(scope, resource.district))
      return { ok: false, error: iocError('E_NOT_FOUND', `no resource ${req.resourceId}`) };
    const target = `incident:${incidentId}`;
    const audit = (outcome: 'success' | 'failure', extra: Record<string, unknown>, reason?: string) =>
      this.audited({
        actor,
        context,
        action: 'resource.assign',
        target,
        outcome,
        reason,
        details: { resourceId: req.resourceId, amount: req.amount, commandId: req.commandId, ...extra },
      });
    if (!isIncidentInProgress(found.incident)) {
      const error = iocError('E_CONFLICT', `incident ${incidentId} is ${found.incident.state}: resources are assigned to incidents in progress only`);
      await audit('failure', {}, `${error.code}: ${error.message}`);
      return { ok: false, error };
    }
    const outcome = await this.d.store.assign({ incidentId, ...req, actor: actor.username, ts: this.now(), limit: resource.limit });
    if (outcome.status === 'insufficient') {
      const left = Math.max(0, resource.limit - outcome.assignedTotal);
      const error = iocError('E_CONFLICT', `${resource.name}: only ${left} of ${req.amount} requested are available`, {
        available: left,
        requested: req.amount,
      });
      this.setTotal(resource.id, outcome.assignedTotal);
      await audit('failure', { available: left }, `${error.code}: ${error.message}`);
      return { ok: false, error };
    }
    this.setTotal(resource.id, outcome.assignedTotal);
    if (outcome.status === 'duplicate') return { ok: true, assignment: outcome.assignment, resource: this.live(resource.id)!, duplicate: true };
    await audit('success', { held: outcome.assignment.amount });
    await this.note(
      actor,
      context,
      incidentId,
      noteCommandId('ra', `${incidentId}:${req.commandId}`),
      `调派资源 ${resource.name} × ${req.amount}（resource ${resource.id} assigned）`,
    );
    return { ok: true, assignment: outcome.assignment, resource: this.live(resource.id)!, duplicate: false };
  }

  async release(
    actor: { username: string; role: Role },
    scope: DataScope,
    incidentId: string,
    resourceId: string,
    context: CommandContext = {},
  ): Promise<ResourceResult<{ released: ResourceAssignment; resource: LiveResource | null }>> {
    const found = this.incidentFor(scope, incidentId);
    if (!found.ok) return found;
    const outcome = await this.d.store.release(incidentId, resourceId);
    if (outcome.status === 'not_found') return { ok: false, error: iocError('E_NOT_FOUND', `incident ${incidentId} holds no ${resourceId}`) };
    this.setTotal(resourceId, outcome.assignedTotal);
    await this.audited({
      actor,
      context,
      action: 'resource.release',
      target: `incident:${incidentId}`,
      outcome: 'success',
      details: { resourceId, amount: outcome.assignment.amount },
    });
    const name = registered(this.d.getAsset(resourceId))?.name ?? resourceId;
    await this.note(
      actor,
      context,
      incidentId,
      noteCommandId('rr', `${incidentId}:${resourceId}:${this.now()}`),
      `释放资源 ${name} × ${outcome.assignment.amount}（resource ${resourceId} released）`,
    );
    return { ok: true, released: outcome.assignment, resource: this.live(resourceId) };
  }

  /** Releases what a resolved or closed incident holds (audited as `system`). */
  async releaseFinished(incident: Incident): Promise<ResourceAssignment[]> {
    if (isIncidentInProgress(incident)) return [];
    const released = await this.d.store.releaseIncident(incident.id);
    if (released.length === 0) return released;
    await this.refresh();
    await this.audited({
      actor: SYSTEM_ACTOR,
      context: {},
      action: 'resource.release',
      target: `incident:${incident.id}`,
      outcome: 'success',
      reason: `incident ${incident.state}`,
      details: {
        resources: released
          .map((a) => `${a.resourceId}×${a.amount}`)
          .join(',')
          .slice(0, 300),
        automatic: true,
      },
    });
    return released;
  }

  /** The notifier to hand the commands: tells `inner` first, then releases a finished incident's resources. */
  wrapNotifier(inner: ChangeNotifier): ChangeNotifier {
    return {
      alertChanged: (alert) => inner.alertChanged(alert),
      incidentChanged: (incident, previousAssignees) => {
        inner.incidentChanged(incident, previousAssignees);
        if (isIncidentInProgress(incident)) return;
        this.releaseFinished(incident).catch((err: unknown) => this.d.log.warn({ err, incidentId: incident.id }, 'resource release at close failed'));
      },
    };
  }

  private async note(
    actor: { username: string; role: Role },
    context: CommandContext,
    incidentId: string,
    commandId: string,
    note: string,
  ): Promise<void> {
    if (!this.execute) return;
    const r = await this.execute({ type: 'incident.note', incidentId, commandId, note }, actor, context).catch((err: unknown) => {
      this.d.log.warn({ err, incidentId }, 'resource note in the incident log failed');
      return null;
    });
    if (r && !r.ok) this.d.log.warn({ error: r.error, incidentId }, 'resource note in the incident log refused');
  }

  private async audited(e: {
    actor: { username: string; role: Role };
    context: CommandContext;
    action: string;
    target: string;
    outcome: 'success' | 'failure';
    reason?: string | undefined;
    details: Record<string, unknown>;
  }): Promise<void> {
    await this.d.audit
      .record({
        actor: e.actor.username,
        role: e.actor.role,
        ...(e.context.source !== undefined ? { source: e.context.source } : {}),
        ...(e.context.userAgent !== undefined ? { userAgent: e.context.userAgent } : {}),
        action: e.action,
        target: e.target,
        outcome: e.outcome,
        ...(e.reason !== undefined ? { reason: e.reason.slice(0, 300) } : {}),
        details: e.details,
      })
      .catch((err: unknown) => this.d.log.warn({ err, action: e.action }, 'audit of a resource change failed'));
  }
}
