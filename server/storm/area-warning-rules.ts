/**
 * Area warning rules as data (issue 14): DEFAULT_AREA_WARNING_RULES until an administrator
 * replaces the whole list (`PUT /api/storm/area-warning-rules`). Stored as one document
 * `area-warning-rules` in the store's `setting` registry collection (memory or Redis), versioned
 * with compare-and-set like the rule registry's records (server/registry/rule-registry.ts) and
 * with its change history. Version 0 = the code's defaults, never written.
 *
 * Other nodes pick an edit up on their next reload (`areaWarningRulesReloadMs`).
 */
import { z } from 'zod';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { IocError } from '../../scenes/protocol';
import { AreaWarningRuleSchema, DEFAULT_AREA_WARNING_RULES, type AreaWarningRule } from '../../scenes/storm/area-warnings';
import { iocError } from '../errors';
import type { RegistryChange, Store } from '../store/store';

export const AREA_WARNING_RULES_ID = 'area-warning-rules';
/** most area rules in force at once (each is one pass over the open alerts) */
export const MAX_AREA_WARNING_RULES = 20;

/** `PUT /api/storm/area-warning-rules` body: the whole list, and the version it was read at. */
export const AreaWarningRulesEditSchema = z.strictObject({
  /** the version the editor read (0 = still the defaults) */
  expectedVersion: z.number().int().min(0),
  rules: z
    .array(AreaWarningRuleSchema)
    .max(MAX_AREA_WARNING_RULES)
    .superRefine((rules, ctx) => {
      const seen = new Set<string>();
      const known = new Set(DEFAULT_RULES.map((r) => r.id));
      rules.forEach((r, i) => {
        if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate area rule id ${r.id}` });
        seen.add(r.id);
        r.alertRuleIds.forEach((id, j) => {
          if (!known.has(id)) ctx.addIssue({ code: 'custom', path: [i, 'alertRuleIds', j], message: `no alert rule ${id} in the catalogue` });
        });
      });
    }),
});
export type AreaWarningRulesEdit = z.infer<typeof AreaWarningRulesEditSchema>;

/** The rules in force, as `GET /api/storm/area-warning-rules` answers them. */
export interface AreaWarningRuleSet {
  /** 0: the defaults (nothing stored yet) */
  version: number;
  rules: AreaWarningRule[];
  isDefault: boolean;
  updatedBy?: string;
  /** epoch ms */
  updatedTs?: number;
}

interface RulesDocument extends AreaWarningRuleSet {
  id: typeof AREA_WARNING_RULES_ID;
}

const DEFAULT_SET: AreaWarningRuleSet = { version: 0, rules: [...DEFAULT_AREA_WARNING_RULES], isDefault: true };

function setOf(doc: RulesDocument | null): AreaWarningRuleSet {
  if (!doc) return DEFAULT_SET;
  const { id: _id, ...set } = doc;
  return set;
}

export class AreaWarningRuleStore {
  private current: AreaWarningRuleSet = DEFAULT_SET;
  private readonly listeners: ((set: AreaWarningRuleSet) => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  get(): AreaWarningRuleSet {
    return this.current;
  }

  /** Told after every change of the rules in force (an edit here, or one read from the store). */
  onChange(listener: (set: AreaWarningRuleSet) => void): void {
    this.listeners.push(listener);
  }

  /** Reads the stored document (at start and periodically); tells listeners when its version moved. */
  async load(): Promise<void> {
    const next = setOf(await this.store.getRegistry<RulesDocument>('setting', AREA_WARNING_RULES_ID));
    if (next.version !== this.current.version) this.adopt(next);
  }

  history(limit: number): Promise<RegistryChange[]> {
    return this.store.registryHistory('setting', AREA_WARNING_RULES_ID, limit);
  }

  /** Replaces the whole list when `expectedVersion` is the stored version; E_CONFLICT (with the current set) otherwise. */
  async replace(edit: AreaWarningRulesEdit, actor: string): Promise<{ ok: true; set: AreaWarningRuleSet } | { ok: false; error: IocError }> {
    const stored = setOf(await this.store.getRegistry<RulesDocument>('setting', AREA_WARNING_RULES_ID));
    if (stored.version !== edit.expectedVersion) {
      if (stored.version !== this.current.version) this.adopt(stored);
      return { ok: false, error: conflict(stored) };
    }
    const next: AreaWarningRuleSet = { version: stored.version + 1, rules: edit.rules, isDefault: false, updatedBy: actor, updatedTs: this.now() };
    const change: RegistryChange = {
      ts: next.updatedTs!,
      actor,
      action: 'replace',
      version: next.version,
      before: { rules: stored.rules },
      after: { rules: next.rules },
    };
    const written = await this.store.writeRegistry('setting', [
      { record: { id: AREA_WARNING_RULES_ID, ...next }, expectedVersion: edit.expectedVersion, change },
    ]);
    if (written.status !== 'applied') {
      await this.load();
      return { ok: false, error: conflict(this.current) };
    }
    this.adopt(next);
    return { ok: true, set: next };
  }

  private adopt(set: AreaWarningRuleSet): void {
    this.current = set;
    for (const l of this.listeners) l(set);
  }
}

function conflict(current: AreaWarningRuleSet): IocError {
  return iocError('E_CONFLICT', `the area warning rules changed meanwhile (now version ${current.version}); reload and edit again`, {
    currentVersion: current.version,
  });
}
