/**
 * Rules and thresholds as data (issue 11): the catalogue's rules are the defaults; administrators
 * edit a default (`PUT /api/rules/:ruleId`) or override it per asset or device. The pure rules
 * (validation, compare-and-set, resolution) are scenes/rule-overrides.ts; this service persists
 * them and hands fusion a new resolver after every change (effective from each device's next reading).
 *
 * Storage: one registry record per rule in the store's `rule` collection,
 * `{ id: ruleId, version, default?, overrides: RuleOverride[] }` (deleted overrides stay as
 * tombstones so their versions never go back); its history is the rule's change history, bounded
 * by `registryHistoryPerRecord`. The record's own version guards the read-modify-write: a write
 * that lost a race with an edit of another override of the same rule is re-applied to the fresh
 * record (the override's own version still decides E_CONFLICT).
 *
 * Another node's rule edits arrive through the shared log (issue 15): `refresh` re-reads the rule
 * records a `registry.changed` event names and rebuilds the resolver when any is newer than ours.
 */
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { Device, Rule } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import {
  applyRuleDefaultEdit,
  deleteOverride,
  effectiveDefaults,
  indexOverrides,
  listRules,
  resolveRules,
  upsertOverride,
  validateRulePatch,
  type DefaultRule,
  type RuleChange,
  type RuleDefaultEdit,
  type RuleDefaultRecord,
  type RuleListing,
  type RuleOverride,
  type RuleTarget,
} from '../../scenes/rule-overrides';
import { iocError } from '../errors';
import { failure } from '../guard';
import type { RegistryChange, Store } from '../store/store';
import type { Actor, Outcome } from './device-registry';

interface RuleDocument {
  id: string;
  version: number;
  default?: RuleDefaultRecord;
  overrides: RuleOverride[];
}

/** What fusion needs: the resolver of effective rules per device. */
export type RuleResolverSink = (resolve: (device: Device) => readonly Rule[]) => void;

/** Attempts of one edit against a rule record another edit of the same rule keeps changing. */
const MAX_RECORD_RETRIES = 5;
const SEED_ACTOR = 'seed';

export class RuleRegistry {
  private readonly docs = new Map<string, RuleDocument>();
  private readonly catalogue = new Map<string, Rule>();
  private defaults: DefaultRule[] = DEFAULT_RULES;
  private sink: RuleResolverSink | null = null;

  constructor(
    private readonly store: Store,
    /** does a target exist (asset or device in the registry)? the device's kind, for device targets */
    private readonly targets: { deviceKind(id: string): Device['kind'] | undefined; hasAsset(id: string): boolean },
    private readonly historyEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    for (const r of DEFAULT_RULES) this.catalogue.set(r.id, r);
  }

  async load(): Promise<void> {
    this.docs.clear();
    for (const d of await this.store.listRegistry<RuleDocument>('rule')) this.docs.set(d.id, d);
    this.rebuild();
  }

  /** Seed overrides (the demo rivers' own levels) on a store without any rule record. */
  async seedOverrides(overrides: readonly RuleOverride[]): Promise<number> {
    if (this.docs.size > 0) return 0;
    const byRule = new Map<string, RuleOverride[]>();
    for (const o of overrides) byRule.set(o.ruleId, [...(byRule.get(o.ruleId) ?? []), o]);
    const ts = this.now();
    const writes = [...byRule].map(([ruleId, list]) => ({
      record: { id: ruleId, version: 1, overrides: list } as RuleDocument,
      expectedVersion: 0,
      change: { ts, actor: SEED_ACTOR, action: 'seed', version: 1, before: {}, after: {} } as RegistryChange,
    }));
    const r = await this.store.writeRegistry('rule', writes);
    if (r.status === 'applied') for (const w of writes) this.docs.set(w.record.id, w.record);
    this.rebuild();
    return r.status === 'applied' ? overrides.length : 0;
  }

  /** From now on every rule change hands `sink` a new resolver (and once now). */
  attach(sink: RuleResolverSink): void {
    this.sink = sink;
    this.rebuild();
  }

  list(): RuleListing[] {
    return listRules(this.defaults, this.allOverrides());
  }

  /** The rules in force for one device, with their source and version. */
  effectiveFor(device: Device): readonly Rule[] {
    return resolveRules(this.defaults, this.allOverrides(), device);
  }

  async history(ruleId: string, limit: number): Promise<Outcome<{ changes: RuleChange[] }>> {
    if (!this.catalogue.has(ruleId)) return failure(iocError('E_NOT_FOUND', `no rule ${ruleId}`));
    const entries = await this.store.registryHistory('rule', ruleId, limit);
    return { ok: true, changes: entries.map((e) => e.after.change as RuleChange).filter((c) => c !== undefined) };
  }

  async editDefault(ruleId: string, edit: RuleDefaultEdit, actor: Actor): Promise<Outcome<{ record: RuleDefaultRecord }>> {
    const rule = this.catalogue.get(ruleId);
    if (!rule) return failure(iocError('E_NOT_FOUND', `no rule ${ruleId}`));
    return this.modify(ruleId, (doc) => {
      const r = applyRuleDefaultEdit(rule, doc.default, edit, { updatedBy: actor.username, updatedTs: this.now() });
      if (!r.ok) return r;
      return { ok: true, doc: { ...doc, default: r.record }, change: r.change, result: { record: r.record } };
    });
  }

  async putOverride(ruleId: string, target: RuleTarget, edit: RuleDefaultEdit, actor: Actor): Promise<Outcome<{ override: RuleOverride }>> {
    const base = this.defaults.find((r) => r.id === ruleId);
    if (!base) return failure(iocError('E_NOT_FOUND', `no rule ${ruleId}`));
    const missing = this.checkTarget(base, target);
    if (missing) return failure(missing);
    const checked = validateRulePatch(base, edit.patch);
    if (!checked.ok) return checked;
    return this.modify(ruleId, (doc) => {
      const existing = doc.overrides.find((o) => o.target.type === target.type && o.target.id === target.id);
      const r = upsertOverride(
        existing,
        { ruleId, target, patch: checked.patch, updatedBy: actor.username, updatedTs: this.now() },
        edit.expectedVersion,
      );
      if (!r.ok) return r;
      return { ok: true, doc: { ...doc, overrides: replaceOverride(doc.overrides, r.override) }, change: r.change, result: { override: r.override } };
    });
  }

  async deleteOverride(ruleId: string, target: RuleTarget, expectedVersion: number, actor: Actor): Promise<Outcome<{ override: RuleOverride }>> {
    if (!this.catalogue.has(ruleId)) return failure(iocError('E_NOT_FOUND', `no rule ${ruleId}`));
    return this.modify(ruleId, (doc) => {
      const existing = doc.overrides.find((o) => o.target.type === target.type && o.target.id === target.id);
      const r = deleteOverride(existing, expectedVersion, { updatedBy: actor.username, updatedTs: this.now() });
      if (!r.ok) return r;
      return { ok: true, doc: { ...doc, overrides: replaceOverride(doc.overrides, r.override) }, change: r.change, result: { override: r.override } };
    });
  }

  /**
   * Another node wrote these rule records (issue 15): re-read them (`'all'`: every one) and, when
   * any is newer than this copy, rebuild defaults and resolver as a local edit does (effective from
   * each device's next reading). Records held at that version or later are left alone. Rejects only
   * when the store does not answer (nothing applied; the caller retries).
   */
  async refresh(collection: 'rule', ids: readonly string[] | 'all'): Promise<void> {
    const docs =
      ids === 'all' ? await this.store.listRegistry<RuleDocument>(collection) : await this.store.getRegistryRecords<RuleDocument>(collection, ids);
    let changed = false;
    for (const d of docs) {
      const known = this.docs.get(d.id);
      if (known && known.version >= d.version) continue;
      this.docs.set(d.id, d);
      changed = true;
    }
    if (changed) this.rebuild();
  }

  private checkTarget(rule: Rule, target: RuleTarget): IocError | null {
    if (target.type === 'asset') return this.targets.hasAsset(target.id) ? null : iocError('E_NOT_FOUND', `no asset ${target.id}`);
    const kind = this.targets.deviceKind(target.id);
    if (kind === undefined) return iocError('E_NOT_FOUND', `no device ${target.id}`);
    if (kind !== rule.deviceKind)
      return iocError('E_VALIDATION', `rule ${rule.id} applies to ${rule.deviceKind} devices, not to ${target.id} (${kind})`);
    return null;
  }

  /** Read-modify-write of one rule record, compare-and-set on the record's version (retried on a lost race). */
  private async modify<T extends object>(
    ruleId: string,
    apply: (doc: RuleDocument) => { ok: true; doc: RuleDocument; change: RuleChange; result: T } | { ok: false; error: IocError },
  ): Promise<Outcome<T>> {
    for (let attempt = 0; attempt < MAX_RECORD_RETRIES; attempt++) {
      const doc = this.docs.get(ruleId) ?? { id: ruleId, version: 0, overrides: [] };
      const r = apply(doc);
      if (!r.ok) return r;
      const record: RuleDocument = { ...r.doc, version: doc.version + 1 };
      const change: RegistryChange = {
        ts: r.change.updatedTs,
        actor: r.change.updatedBy,
        action: r.change.next === null ? 'delete-override' : r.change.target.type === 'default' ? 'edit-default' : 'put-override',
        version: record.version,
        before: { patch: r.change.previous },
        after: { patch: r.change.next, change: r.change },
      };
      const written = await this.store.writeRegistry('rule', [{ record, expectedVersion: doc.version, change }]);
      if (written.status === 'applied') {
        this.docs.set(ruleId, record);
        this.rebuild();
        return { ok: true, ...r.result };
      }
      // another node (or a concurrent edit of another override) wrote the record: re-read and re-apply
      const fresh = await this.store.getRegistry<RuleDocument>('rule', ruleId);
      if (fresh) this.docs.set(ruleId, fresh);
    }
    return failure(iocError('E_CONFLICT', `rule ${ruleId} keeps changing; reload and edit again`));
  }

  private allOverrides(): RuleOverride[] {
    return [...this.docs.values()].flatMap((d) => d.overrides);
  }

  /** New defaults and override index; fusion gets a resolver over them (effective from each device's next reading). */
  private rebuild(): void {
    this.defaults = effectiveDefaults(
      DEFAULT_RULES,
      [...this.docs.values()].flatMap((d) => (d.default ? [d.default] : [])),
    );
    if (!this.sink) return;
    const defaults = this.defaults;
    const index = indexOverrides(this.allOverrides());
    this.sink((device) => resolveRules(defaults, index, device));
  }
}

function replaceOverride(list: readonly RuleOverride[], next: RuleOverride): RuleOverride[] {
  const out = list.filter((o) => !(o.target.type === next.target.type && o.target.id === next.target.id));
  out.push(next);
  return out;
}
