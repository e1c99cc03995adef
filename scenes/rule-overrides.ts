/**
 * Rules and thresholds as data: the catalogue's rules are the defaults per device kind; an
 * administrator edits a default or overrides it per asset and per device. This module is the pure
 * core of that: wire schemas, validation, precedence (device > asset > default), versioning and
 * compare-and-set. The store keeps the records; fusion calls `resolveRules` when a device or a
 * rule changes (not per reading) and evaluates the result with scenes/rules.ts.
 *
 * Records are patches against the rule below them, so a catalogue upgrade still reaches every
 * field nobody overrode. A PUT replaces a record's whole patch (the admin UI sends the full set of
 * deviations); within a layer `limits` is one field: a patch that sets limits sets the whole ladder.
 *
 * Versions. Every record (default edit, asset override, device override) has its own counter, +1
 * on each change, and a deleted override stays as a tombstone (`deleted: true`, empty patch) so
 * its counter never goes back. The version of an effective rule is the sum of the counters of
 * the records that apply to the device, so it increases on every change of the rule's default or
 * of an override that applies, and (deviceId, ruleId, version) names one configuration: an alert
 * records it, and the change history replays it.
 */
import { z } from 'zod';
import { ALERT_LEVEL_RANK, ALERT_LEVELS, AlertLevelSchema, IdSchema } from './domain';
import type { AlertLevel, Asset, DeviceKind, Rule } from './domain';
import { metricSpec } from './catalogue';
import type { IocError, Result } from './protocol';

// ---------------------------------------------------------------------------------------------
// Limits of the editable fields

/** Longest minimum duration a threshold rule may ask for, ms (a day: longer is not an alarm). */
export const MAX_RULE_MIN_DURATION_MS = 24 * 60 * 60 * 1000;
/** Shortest rate window, ms: below a few seconds a rate is noise. */
export const MIN_RATE_WINDOW_MS = 10 * 1000;
/** Longest rate window, ms; the evaluator keeps at most RATE_MAX_SAMPLES samples in it anyway. */
export const MAX_RATE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Shortest offline silence, ms. */
export const MIN_OFFLINE_SILENCE_MS = 10 * 1000;
/** Longest offline silence, ms (a week). */
export const MAX_OFFLINE_SILENCE_MS = 7 * 24 * 60 * 60 * 1000;
/** Longest `updatedBy` (a username or 'seed'). */
export const MAX_RULE_ACTOR_LENGTH = 80;

/** Keys that must never come from the wire: they reach Object.prototype when merged naively. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

// ---------------------------------------------------------------------------------------------
// Schemas

/** Limits per level, metric unit; a level left out has no limit. */
export const RuleLimitsSchema = z.strictObject({
  red: z.number().finite().optional(),
  orange: z.number().finite().optional(),
  yellow: z.number().finite().optional(),
  blue: z.number().finite().optional(),
});
export type RuleLimits = z.infer<typeof RuleLimitsSchema>;

/** Threshold rules: the level ladder, hysteresis (metric unit), minimum duration (ms). */
const ThresholdPatchShape = {
  limits: RuleLimitsSchema.optional(),
  /** metric unit, ≥ 0 */
  hysteresis: z.number().finite().gte(0).optional(),
  /** ms, 0 = raise at once */
  minDurationMs: z.number().int().gte(0).lte(MAX_RULE_MIN_DURATION_MS).optional(),
} as const;
/** Rate rules: the limit (metric unit per minute, sign = direction), window (ms), level raised. */
const RatePatchShape = {
  limitPerMin: z
    .number()
    .finite()
    .refine((v) => v !== 0, 'limitPerMin must not be 0')
    .optional(),
  windowMs: z.number().int().gte(MIN_RATE_WINDOW_MS).lte(MAX_RATE_WINDOW_MS).optional(),
} as const;
/** Offline rules: silence after which the device counts as offline, ms. */
const OfflinePatchShape = {
  silenceMs: z.number().int().gte(MIN_OFFLINE_SILENCE_MS).lte(MAX_OFFLINE_SILENCE_MS).optional(),
} as const;
/** Every rule type. */
const CommonPatchShape = {
  /** false = the rule raises nothing for the devices it applies to */
  enabled: z.boolean().optional(),
  /** open an incident at this level or worse; null = never */
  autoIncidentLevel: AlertLevelSchema.nullable().optional(),
  /**
   * The metric's unit as the catalogue fixes it (threshold and rate rules; rate limits are in this
   * unit per minute). Optional: a client may send it back to state what its numbers mean; any other
   * unit is refused, never converted. Validation drops it from the stored patch.
   */
  unit: z.string().max(16).optional(),
} as const;
/** Rate, event and offline rules raise one level. */
const SingleLevelShape = { level: AlertLevelSchema.optional() } as const;

export const ThresholdRulePatchSchema = z.strictObject({ ...CommonPatchShape, ...ThresholdPatchShape });
export const RateRulePatchSchema = z.strictObject({ ...CommonPatchShape, ...SingleLevelShape, ...RatePatchShape });
export const EventRulePatchSchema = z.strictObject({
  enabled: CommonPatchShape.enabled,
  autoIncidentLevel: CommonPatchShape.autoIncidentLevel,
  ...SingleLevelShape,
});
export const OfflineRulePatchSchema = z.strictObject({
  enabled: CommonPatchShape.enabled,
  autoIncidentLevel: CommonPatchShape.autoIncidentLevel,
  ...SingleLevelShape,
  ...OfflinePatchShape,
});

/**
 * The overridable fields of any rule, as they come over the wire. Which of them a rule accepts
 * depends on its type (validateRulePatch): threshold = limits, hysteresis, minDurationMs; rate =
 * limitPerMin, windowMs, level; event = level; offline = silenceMs, level; all = enabled,
 * autoIncidentLevel. Units are the catalogue's and cannot be changed.
 */
export const RulePatchSchema = z.strictObject({
  ...CommonPatchShape,
  ...SingleLevelShape,
  ...ThresholdPatchShape,
  ...RatePatchShape,
  ...OfflinePatchShape,
});
export type RulePatch = z.infer<typeof RulePatchSchema>;

export const RULE_TARGET_TYPES = ['asset', 'device'] as const;
export const RuleTargetTypeSchema = z.enum(RULE_TARGET_TYPES);
export type RuleTargetType = z.infer<typeof RuleTargetTypeSchema>;
/** What an override applies to: every device mounted on an asset, or one device. */
export const RuleTargetSchema = z.strictObject({ type: RuleTargetTypeSchema, id: IdSchema });
export type RuleTarget = z.infer<typeof RuleTargetSchema>;

/** Where a field of an effective rule came from; the most specific layer wins. */
export const RULE_SOURCES = ['default', 'asset', 'device'] as const;
export type RuleSource = (typeof RULE_SOURCES)[number];

const ActorSchema = z.string().min(1).max(MAX_RULE_ACTOR_LENGTH);
/** Record versions: 0 = never written, +1 per change. */
const VersionSchema = z.number().int().gte(0);
/** epoch ms */
const TsSchema = z.number().int().gte(0);

/** An administrator's override of one rule for one asset or device, as the store keeps it. */
export const RuleOverrideSchema = z.strictObject({
  ruleId: IdSchema,
  target: RuleTargetSchema,
  patch: RulePatchSchema,
  /** +1 per change, deletions included (compare-and-set token) */
  version: VersionSchema.gte(1),
  /** username, or 'seed' for demo data */
  updatedBy: ActorSchema,
  /** epoch ms */
  updatedTs: TsSchema,
  /** a deleted override is kept as a tombstone (empty patch) so its version never goes back */
  deleted: z.boolean().optional(),
});
export type RuleOverride = z.infer<typeof RuleOverrideSchema>;

/** An administrator's edit of a catalogue default (a patch against the catalogue rule). */
export const RuleDefaultRecordSchema = z.strictObject({
  ruleId: IdSchema,
  patch: RulePatchSchema,
  version: VersionSchema.gte(1),
  updatedBy: ActorSchema,
  updatedTs: TsSchema,
});
export type RuleDefaultRecord = z.infer<typeof RuleDefaultRecordSchema>;

/**
 * Body of `PUT /api/rules/:ruleId` and of `PUT /api/rules/:ruleId/overrides/:targetType/:targetId`:
 * the record's new patch (replacing the old one) and the version the editor saw (0 = creating).
 */
export const RuleDefaultEditSchema = z.strictObject({ patch: RulePatchSchema, expectedVersion: VersionSchema });
export type RuleDefaultEdit = z.infer<typeof RuleDefaultEditSchema>;
export const RuleOverrideEditSchema = RuleDefaultEditSchema;
export type RuleOverrideEdit = RuleDefaultEdit;
/** Body (or query) of `DELETE /api/rules/:ruleId/overrides/:targetType/:targetId`. */
export const RuleOverrideDeleteSchema = z.strictObject({ expectedVersion: VersionSchema.gte(1) });
export type RuleOverrideDelete = z.infer<typeof RuleOverrideDeleteSchema>;
/** Route parameters of the rule endpoints. */
export const RuleParamsSchema = z.strictObject({ ruleId: IdSchema });
export const RuleOverrideParamsSchema = z.strictObject({ ruleId: IdSchema, targetType: RuleTargetTypeSchema, targetId: IdSchema });

/** What a change applied to: the rule's default, or an override's target. */
export const RuleChangeTargetSchema = z.union([z.strictObject({ type: z.literal('default') }), RuleTargetSchema]);
export type RuleChangeTarget = z.infer<typeof RuleChangeTargetSchema>;

/** One entry of a rule's change history: who, when, what, and the value before. */
export const RuleChangeSchema = z.strictObject({
  ruleId: IdSchema,
  target: RuleChangeTargetSchema,
  /** the record's patch before the change (null = there was none, or it was deleted) */
  previous: RulePatchSchema.nullable(),
  /** the record's patch after the change (null = deleted) */
  next: RulePatchSchema.nullable(),
  /** patch fields whose value differs between previous and next, sorted */
  changedFields: z.array(z.string()),
  /** the record's version after the change */
  version: VersionSchema.gte(1),
  updatedBy: ActorSchema,
  updatedTs: TsSchema,
});
export type RuleChange = z.infer<typeof RuleChangeSchema>;

// ---------------------------------------------------------------------------------------------
// Validation

function fail(code: IocError['code'], message: string, details?: unknown): { ok: false; error: IocError } {
  return details === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, details } };
}

function invalid(field: string, message: string): { ok: false; error: IocError } {
  return fail('E_VALIDATION', `${field}: ${message}`, { field });
}

/** The first reserved key ('__proto__', …) anywhere in a JSON value, as a dotted path; null if none. */
export function findReservedKey(value: unknown, path = ''): string | null {
  if (value === null || typeof value !== 'object') return null;
  for (const key of Object.keys(value)) {
    const here = path === '' ? key : `${path}.${key}`;
    if (RESERVED_KEYS.has(key)) return here;
    const inner = findReservedKey((value as Record<string, unknown>)[key], here);
    if (inner !== null) return inner;
  }
  return null;
}

/** Levels from least severe (blue) to most (red): the order a rising ladder's limits increase in. */
const LEVELS_BY_ASCENDING_SEVERITY: readonly AlertLevel[] = [...ALERT_LEVELS].sort((a, b) => ALERT_LEVEL_RANK[b] - ALERT_LEVEL_RANK[a]);

function patchSchemaFor(rule: Rule): z.ZodType<RulePatch> {
  switch (rule.type) {
    case 'threshold':
      return ThresholdRulePatchSchema;
    case 'rate':
      return RateRulePatchSchema;
    case 'event':
      return EventRulePatchSchema;
    case 'offline':
      return OfflineRulePatchSchema;
    default: {
      const unreachable: never = rule;
      throw new Error(`unknown rule type ${(unreachable as { type: string }).type}`);
    }
  }
}

/** The catalogue unit of a rule's metric; undefined for rules without a metric. */
export function ruleUnit(rule: Rule): string | undefined {
  if (rule.type === 'offline' || rule.type === 'event') return undefined;
  return metricSpec(rule.deviceKind, rule.metric)?.unit;
}

function firstIssueField(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return path === '' ? key : `${path}.${key}`;
  }
  return path === '' ? 'patch' : path;
}

/**
 * Check a patch against the rule it will be layered on (the catalogue rule for a default edit,
 * the effective default for an override): the fields its type accepts, each within bounds, the
 * catalogue's unit, and the merged rule consistent — levels in order for the rule's direction
 * (above: blue < yellow < orange < red; below: the reverse; missing levels allowed) and the
 * hysteresis smaller than the smallest gap between consecutive levels. Errors are E_VALIDATION
 * and name the field (`details.field`). Returns the parsed patch (unknown input is never trusted).
 */
export function validateRulePatch(rule: Rule, patch: unknown): Result<{ patch: RulePatch }> {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return invalid('patch', 'must be an object');
  const reserved = findReservedKey(patch);
  if (reserved !== null) return invalid(reserved, 'reserved key refused');
  const parsed = patchSchemaFor(rule).safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = firstIssueField(issue);
    const why = issue.code === 'unrecognized_keys' ? `not an overridable field of a ${rule.type} rule` : issue.message;
    return fail('E_VALIDATION', `${field}: ${why}`, { field, issues: parsed.error.issues });
  }
  const clean = parsed.data;
  if (clean.unit !== undefined) {
    const unit = ruleUnit(rule);
    if (clean.unit !== unit) return invalid('unit', `must be the catalogue's unit '${unit ?? ''}' (units cannot be changed)`);
  }
  if (clean.limits !== undefined && Object.keys(clean.limits).length === 0) return invalid('limits', 'must set at least one level');
  const merged = applyRulePatch(rule, clean);
  const consistency = checkRuleConsistency(merged);
  if (!consistency.ok) return consistency;
  // the unit was only a statement to check: records never carry it
  const { unit: _unit, ...stored } = clean;
  return { ok: true, patch: stored };
}

/**
 * A rule's internal consistency (the part of validation that depends on several fields): threshold
 * limits in order for the direction, inside the metric's plausible range, and the hysteresis below
 * the smallest gap between consecutive levels.
 */
export function checkRuleConsistency(rule: Rule): Result<object> {
  if (rule.type !== 'threshold') return { ok: true };
  const spec = metricSpec(rule.deviceKind, rule.metric);
  let prev: { level: AlertLevel; value: number } | null = null;
  let smallestGap = Number.POSITIVE_INFINITY;
  for (const level of LEVELS_BY_ASCENDING_SEVERITY) {
    const value = rule.limits[level];
    if (value === undefined) continue;
    if (spec !== undefined && (value < spec.min || value > spec.max)) {
      return invalid(`limits.${level}`, `${value} is outside the metric's range ${spec.min}…${spec.max} ${spec.unit}`.trimEnd());
    }
    if (prev !== null) {
      const inOrder = rule.direction === 'above' ? value > prev.value : value < prev.value;
      if (!inOrder) {
        const relation = rule.direction === 'above' ? 'greater' : 'smaller';
        return invalid(
          `limits.${level}`,
          `must be ${relation} than limits.${prev.level} (${prev.value}) for a rule on values ${rule.direction} the limits`,
        );
      }
      smallestGap = Math.min(smallestGap, Math.abs(value - prev.value));
    }
    prev = { level, value };
  }
  if (prev === null) return invalid('limits', 'must set at least one level');
  if (!(rule.hysteresis >= 0)) return invalid('hysteresis', 'must be ≥ 0');
  if (rule.hysteresis >= smallestGap)
    return invalid('hysteresis', `${rule.hysteresis} must be smaller than the smallest gap between levels (${smallestGap})`);
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// Merging

/** Fields of a patch that never become rule fields (enabled is carried beside the rule, unit is only checked). */
const NON_RULE_FIELDS: ReadonlySet<string> = new Set(['enabled', 'unit']);

/**
 * The rule with a patch applied, field by field (limits as a whole). Only fields the rule's type
 * has are taken; `enabled` and `unit` are not rule fields. Does not validate: see validateRulePatch.
 */
export function applyRulePatch<R extends Rule>(rule: R, patch: RulePatch): R {
  const next: Record<string, unknown> = { ...rule };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || NON_RULE_FIELDS.has(key) || RESERVED_KEYS.has(key) || !(key in rule)) continue;
    next[key] = key === 'limits' ? { ...(value as RuleLimits) } : value;
  }
  return next as R;
}

/** Patch fields whose values differ between two patches (null = no patch), sorted. */
export function changedPatchFields(previous: RulePatch | null, next: RulePatch | null): string[] {
  const a = (previous ?? {}) as Record<string, unknown>;
  const b = (next ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

// ---------------------------------------------------------------------------------------------
// Writes: compare-and-set, producing the history record (the store mirrors these semantics)

/** Who makes a change and when (epoch ms): the caller's clock and session, never read here. */
export interface RuleActor {
  updatedBy: string;
  updatedTs: number;
}

function conflict(what: string, current: number, expected: number, record: unknown): { ok: false; error: IocError } {
  return fail('E_CONFLICT', `${what} is at version ${current}, not ${expected}: reload and edit again`, {
    currentVersion: current,
    current: record ?? null,
  });
}

/**
 * Replace the admin edit of a default (`PUT /api/rules/:ruleId`). `existing` is the stored record
 * (undefined = the catalogue rule is untouched, version 0); the edit must name that version.
 * The patch is validated against the catalogue rule.
 */
export function applyRuleDefaultEdit(
  catalogueRule: Rule,
  existing: RuleDefaultRecord | undefined,
  edit: RuleDefaultEdit,
  actor: RuleActor,
): Result<{ record: RuleDefaultRecord; change: RuleChange }> {
  if (existing !== undefined && existing.ruleId !== catalogueRule.id)
    return invalid('ruleId', `record of '${existing.ruleId}' given for '${catalogueRule.id}'`);
  const current = existing?.version ?? 0;
  if (edit.expectedVersion !== current) return conflict(`the default of ${catalogueRule.id}`, current, edit.expectedVersion, existing);
  const checked = validateRulePatch(catalogueRule, edit.patch);
  if (!checked.ok) return checked;
  const record: RuleDefaultRecord = { ruleId: catalogueRule.id, patch: checked.patch, version: current + 1, ...actor };
  const previous = existing?.patch ?? null;
  const change: RuleChange = {
    ruleId: catalogueRule.id,
    target: { type: 'default' },
    previous,
    next: checked.patch,
    changedFields: changedPatchFields(previous, checked.patch),
    version: record.version,
    ...actor,
  };
  return { ok: true, record, change };
}

/** A new override patch for a target, before it has a version. Validate `patch` first (validateRulePatch). */
export interface RuleOverrideInput extends RuleActor {
  ruleId: string;
  target: RuleTarget;
  patch: RulePatch;
}

function sameTarget(a: RuleTarget, b: RuleTarget): boolean {
  return a.type === b.type && a.id === b.id;
}

/**
 * Create or replace an override (`PUT …/overrides/:targetType/:targetId`) with compare-and-set:
 * `expectedVersion` must be the stored version (0 when there is none; a tombstone's version to
 * re-create a deleted one), else E_CONFLICT carrying the current record. The caller validates the
 * patch against the effective default first (validateRulePatch).
 */
export function upsertOverride(
  existing: RuleOverride | undefined,
  next: RuleOverrideInput,
  expectedVersion: number,
): Result<{ override: RuleOverride; change: RuleChange }> {
  if (existing !== undefined && (existing.ruleId !== next.ruleId || !sameTarget(existing.target, next.target))) {
    return invalid('target', 'the stored override belongs to another rule or target');
  }
  const current = existing?.version ?? 0;
  if (expectedVersion !== current)
    return conflict(`the ${next.target.type} override ${next.target.id} of ${next.ruleId}`, current, expectedVersion, existing);
  const override: RuleOverride = {
    ruleId: next.ruleId,
    target: { type: next.target.type, id: next.target.id },
    patch: next.patch,
    version: current + 1,
    updatedBy: next.updatedBy,
    updatedTs: next.updatedTs,
  };
  const previous = existing === undefined || existing.deleted === true ? null : existing.patch;
  const change: RuleChange = {
    ruleId: next.ruleId,
    target: override.target,
    previous,
    next: next.patch,
    changedFields: changedPatchFields(previous, next.patch),
    version: override.version,
    updatedBy: next.updatedBy,
    updatedTs: next.updatedTs,
  };
  return { ok: true, override, change };
}

/**
 * Delete an override (compare-and-set on `expectedVersion`): the result is a tombstone with an
 * empty patch and the next version, which the store keeps in place of the override. Deleting a
 * missing or already deleted override is E_NOT_FOUND.
 */
export function deleteOverride(
  existing: RuleOverride | undefined,
  expectedVersion: number,
  actor: RuleActor,
): Result<{ override: RuleOverride; change: RuleChange }> {
  if (existing === undefined || existing.deleted === true) return fail('E_NOT_FOUND', 'no such override');
  if (expectedVersion !== existing.version) {
    return conflict(`the ${existing.target.type} override ${existing.target.id} of ${existing.ruleId}`, existing.version, expectedVersion, existing);
  }
  const override: RuleOverride = { ...existing, patch: {}, deleted: true, version: existing.version + 1, ...actor };
  const change: RuleChange = {
    ruleId: existing.ruleId,
    target: existing.target,
    previous: existing.patch,
    next: null,
    changedFields: changedPatchFields(existing.patch, null),
    version: override.version,
    ...actor,
  };
  return { ok: true, override, change };
}

// ---------------------------------------------------------------------------------------------
// Resolution: which rules apply to a device, with what values, from where, at what version

/** A default rule as resolveRules takes it: a catalogue rule (version 0, enabled) or an edited default. */
export type DefaultRule = Rule & { enabled?: boolean; version?: number };

/** An override that was not applied because the rule it would produce is inconsistent. */
export interface SkippedOverride {
  target: RuleTarget;
  version: number;
  error: IocError;
}

/** Provenance of an effective rule. */
export interface RuleProvenance {
  /** false = evaluate nothing for this device */
  enabled: boolean;
  /** the most specific layer that applied: device > asset > default */
  source: RuleSource;
  /**
   * Sum of the versions of the default and of the overrides that apply (tombstones included):
   * it increases on every change that reaches this device. Alerts record it.
   */
  version: number;
  /** the versions that make up `version` */
  versions: { default: number; asset?: number; device?: number };
  /** overrides left out because the merged rule would be inconsistent (the layer below is used) */
  skipped?: SkippedOverride[];
}

/** A rule as it applies to one device; `evaluateRule` takes it as is (it is a Rule). */
export type EffectiveRule = Rule & RuleProvenance;

/** Overrides indexed by target, so resolving one device costs O(its rules), not O(all overrides). */
export interface RuleOverrideIndex {
  byTarget: ReadonlyMap<string, ReadonlyMap<string, RuleOverride>>;
}

function targetKey(type: RuleTargetType, id: string): string {
  return `${type}|${id}`;
}

/** Index overrides by target and rule. Build it once per change of the override set. */
export function indexOverrides(overrides: Iterable<RuleOverride>): RuleOverrideIndex {
  const byTarget = new Map<string, Map<string, RuleOverride>>();
  for (const o of overrides) {
    const key = targetKey(o.target.type, o.target.id);
    let rules = byTarget.get(key);
    if (rules === undefined) byTarget.set(key, (rules = new Map()));
    const seen = rules.get(o.ruleId);
    if (seen === undefined || o.version > seen.version) rules.set(o.ruleId, o);
  }
  return { byTarget };
}

/** The device fields that select its rules. */
export interface RuleSubject {
  id: string;
  kind: DeviceKind;
  assetId?: string;
}

/** The defaults with the admin's edits applied, each carrying its version and enabled flag. */
export function effectiveDefaults(catalogue: readonly Rule[], edits: Iterable<RuleDefaultRecord>): DefaultRule[] {
  const byRule = new Map<string, RuleDefaultRecord>();
  for (const e of edits) byRule.set(e.ruleId, e);
  return catalogue.map((rule) => {
    const edit = byRule.get(rule.id);
    if (edit === undefined) return rule;
    return { ...applyRulePatch(rule, edit.patch), enabled: edit.patch.enabled ?? true, version: edit.version };
  });
}

/**
 * One rule as `GET /api/rules` lists it: the effective default (catalogue + admin edit) with its
 * version, enabled flag and unit, and the live overrides of it (tombstones left out), assets first.
 */
export interface RuleListing {
  rule: Rule;
  /** the catalogue unit of the rule's metric, if it has one */
  unit?: string;
  enabled: boolean;
  /** version of the default (0 = the catalogue's) */
  version: number;
  overrides: RuleOverride[];
}

/** Every default rule with its overrides, in the defaults' order. */
export function listRules(defaults: readonly DefaultRule[], overrides: Iterable<RuleOverride>): RuleListing[] {
  const byRule = new Map<string, RuleOverride[]>();
  for (const o of overrides) {
    if (o.deleted === true) continue;
    const list = byRule.get(o.ruleId);
    if (list === undefined) byRule.set(o.ruleId, [o]);
    else list.push(o);
  }
  const order = (o: RuleOverride) => `${o.target.type === 'asset' ? 0 : 1}|${o.target.id}`;
  return defaults.map((base) => {
    const rule = stripProvenance(base);
    const unit = ruleUnit(rule);
    const listed = [...(byRule.get(base.id) ?? [])].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
    const listing: RuleListing = { rule, enabled: base.enabled ?? true, version: base.version ?? 0, overrides: listed };
    if (unit !== undefined) listing.unit = unit;
    return listing;
  });
}

function stripProvenance(rule: DefaultRule): Rule {
  const { enabled: _enabled, version: _version, ...plain } = rule;
  return plain as Rule;
}

/** Defaults grouped by kind, memoised per defaults array (callers keep one array until a default changes). */
const defaultsByKindCache = new WeakMap<readonly DefaultRule[], ReadonlyMap<DeviceKind, readonly DefaultRule[]>>();

function defaultsOfKind(defaults: readonly DefaultRule[], kind: DeviceKind): readonly DefaultRule[] {
  let byKind = defaultsByKindCache.get(defaults);
  if (byKind === undefined) {
    const grouped = new Map<DeviceKind, DefaultRule[]>();
    for (const rule of defaults) {
      const list = grouped.get(rule.deviceKind);
      if (list === undefined) grouped.set(rule.deviceKind, [rule]);
      else list.push(rule);
    }
    defaultsByKindCache.set(defaults, (byKind = grouped));
  }
  return byKind.get(kind) ?? [];
}

/**
 * The rules that apply to a device, each with its effective values: defaults of the device's kind
 * (catalogue rules, or edited ones from effectiveDefaults), then the override of the device's asset,
 * then the device's own override — device > asset > default, field by field. An override whose
 * merged rule is inconsistent (e.g. a device hysteresis set before the asset's ladder narrowed) is
 * skipped and reported in `skipped`, so the evaluator never sees a disordered ladder.
 * Call it when a device, its asset or a rule changes, not per reading. `defaults` is treated as
 * immutable (its grouping by kind is memoised per array): pass a new array after an edit.
 */
export function resolveRules(
  defaults: readonly DefaultRule[],
  overrides: RuleOverrideIndex | readonly RuleOverride[],
  device: RuleSubject,
): EffectiveRule[] {
  const index = 'byTarget' in overrides ? overrides : indexOverrides(overrides);
  const assetOverrides = device.assetId === undefined ? undefined : index.byTarget.get(targetKey('asset', device.assetId));
  const deviceOverrides = index.byTarget.get(targetKey('device', device.id));
  const out: EffectiveRule[] = [];
  for (const base of defaultsOfKind(defaults, device.kind)) {
    let rule = stripProvenance(base);
    let enabled = base.enabled ?? true;
    let source: RuleSource = 'default';
    const versions: RuleProvenance['versions'] = { default: base.version ?? 0 };
    let version = versions.default;
    let skipped: SkippedOverride[] | undefined;
    for (const [layer, o] of [
      ['asset', assetOverrides?.get(base.id)],
      ['device', deviceOverrides?.get(base.id)],
    ] as const) {
      if (o === undefined) continue;
      versions[layer] = o.version;
      version += o.version;
      if (o.deleted === true) continue;
      const merged = applyRulePatch(rule, o.patch);
      const consistent = checkRuleConsistency(merged);
      if (!consistent.ok) {
        (skipped ??= []).push({ target: o.target, version: o.version, error: consistent.error });
        continue;
      }
      rule = merged;
      if (o.patch.enabled !== undefined) enabled = o.patch.enabled;
      source = layer;
    }
    out.push(skipped === undefined ? { ...rule, enabled, source, version, versions } : { ...rule, enabled, source, version, versions, skipped });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rivers: each river's ladder from its own warning (警戒) and guarantee (保证) levels

/** The default rule of river and reservoir gauges; river overrides patch it. */
export const RIVER_LEVEL_RULE_ID = 'water.level.threshold';
/** Blue (IV) is raised this far below the warning level, m: "approaching the warning level". */
export const RIVER_BLUE_BELOW_WARNING_M = 0.5;
/** Asset kinds whose water-level gauges follow the asset's warning/guarantee levels. */
export const RIVER_ASSET_KINDS: ReadonlySet<Asset['kind']> = new Set(['river', 'reservoir']);
/** Who the seeded river overrides are recorded as written by. */
export const SEED_ACTOR = 'seed';

/** The asset fields river levels are read from. */
export type RiverAssetLike = Pick<Asset, 'id' | 'kind' | 'props'>;

/** Warning and guarantee levels of a river or reservoir asset, m (gauge datum); undefined when not set. */
export function riverLevelsOf(asset: Pick<Asset, 'props'> | undefined): { warningLevelM: number | undefined; guaranteeLevelM: number | undefined } {
  const prop = (key: string): number | undefined => {
    const value = asset?.props[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  return { warningLevelM: prop('warningLevelM'), guaranteeLevelM: prop('guaranteeLevelM') };
}

/**
 * The level ladder of a river from its own levels, m, following the Ministry of Water Resources'
 * flood-warning grades as closely as a single gauge allows:
 * - blue (IV) = warning − RIVER_BLUE_BELOW_WARNING_M (approaching the warning level),
 * - yellow (III) = the warning level (警戒水位: patrols start),
 * - orange (II) = midway between warning and guarantee (approaching the guarantee level),
 * - red (I) = the guarantee level (保证水位: the levees' design level).
 * The water scene's '超警戒河道' KPI counts gauges at or above the same warning level, so it
 * agrees with the yellow alerts. Null when the asset lacks a level or guarantee ≤ warning.
 */
export function riverLimits(warningLevelM: number | undefined, guaranteeLevelM: number | undefined): RuleLimits | null {
  if (warningLevelM === undefined || guaranteeLevelM === undefined || !(guaranteeLevelM > warningLevelM)) return null;
  return {
    blue: warningLevelM - RIVER_BLUE_BELOW_WARNING_M,
    yellow: warningLevelM,
    orange: (warningLevelM + guaranteeLevelM) / 2,
    red: guaranteeLevelM,
  };
}

/** An asset whose levels could not become an override, and why. */
export interface RejectedRiver {
  assetId: string;
  error: IocError;
}

/**
 * Seed overrides of the river-level rule, one per river or reservoir asset with its own
 * warning/guarantee levels (riverLimits), validated against `riverRule` (the effective default of
 * RIVER_LEVEL_RULE_ID). Assets whose levels give no valid ladder are returned in `rejected`.
 */
export function riverLevelOverrides(
  assets: Iterable<RiverAssetLike>,
  riverRule: Rule,
  seededTs = 0,
): { overrides: RuleOverride[]; rejected: RejectedRiver[] } {
  const overrides: RuleOverride[] = [];
  const rejected: RejectedRiver[] = [];
  for (const asset of assets) {
    if (!RIVER_ASSET_KINDS.has(asset.kind)) continue;
    const { warningLevelM, guaranteeLevelM } = riverLevelsOf(asset);
    const limits = riverLimits(warningLevelM, guaranteeLevelM);
    if (limits === null) {
      rejected.push({
        assetId: asset.id,
        error: { code: 'E_VALIDATION', message: 'props: needs warningLevelM < guaranteeLevelM', details: { field: 'props' } },
      });
      continue;
    }
    const checked = validateRulePatch(riverRule, { limits });
    if (!checked.ok) {
      rejected.push({ assetId: asset.id, error: checked.error });
      continue;
    }
    overrides.push({
      ruleId: riverRule.id,
      target: { type: 'asset', id: asset.id },
      patch: checked.patch,
      version: 1,
      updatedBy: SEED_ACTOR,
      updatedTs: seededTs,
    });
  }
  return { overrides, rejected };
}
