/**
 * Keeps the area warnings (issue 14) up to date from alert changes: the pure aggregation
 * (scenes/storm/area-warnings.ts) over fusion's open alerts and registered devices, with the
 * previous result so a warning keeps its id while it grows, shrinks or changes level, and ends
 * once none of its alerts is open any more (cleared and acknowledged).
 *
 * - Coalesced: an alert change of an aggregated rule schedules one recomputation within
 *   `coalesceMs`; a storm of 44 gauge alerts is one recomputation, not 44.
 * - Restart: warnings are not stored; `start()` recomputes them from the alerts fusion restored
 *   from the store. Ids are deterministic (rule, district or anchor gauge, earliest member's
 *   firstTs), so a warning comes back with the id it had — except one that had kept an ancestor's
 *   id after its earliest member went (then it takes its current earliest member's).
 * - Fusion holds the result for the scene builders (the walls' `warnings`); listeners (the `/live`
 *   delivery) hear of every change.
 */
import type { Alert } from '../../scenes/domain';
import { isAlertOpen } from '../../scenes/alert-lifecycle';
import { aggregateAreaWarnings, type AreaWarning, type AreaWarningResult } from '../../scenes/storm/area-warnings';
import { districtInScope, type DataScope } from '../../scenes/scope';
import { jsonValueEqual } from '../../scenes/scene-diff';
import type { WarningsMessage } from '../../scenes/storm/warning-messages';
import type { Fusion } from '../fusion';
import type { Logger } from '../logger';
import type { AreaWarningRuleStore } from './area-warning-rules';

export interface WarningServiceDeps {
  fusion: Pick<Fusion, 'listAlerts' | 'devices' | 'setAreaWarnings'>;
  rules: AreaWarningRuleStore;
  log: Logger;
  /** a recomputation follows an alert change within this many ms */
  coalesceMs: number;
  now?: () => number;
}

export interface WarningChange {
  result: AreaWarningResult;
  /** warnings that did not exist before this change */
  raised: AreaWarning[];
  /** warnings that existed before and are gone */
  ended: AreaWarning[];
}

const EMPTY: AreaWarningResult = { warnings: [], coveredBy: {} };

export class WarningService {
  private result: AreaWarningResult = EMPTY;
  private generatedTs = 0;
  private timer: NodeJS.Timeout | null = null;
  private aggregated = new Set<string>();
  private readonly listeners: ((change: WarningChange) => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly d: WarningServiceDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Computes the warnings from the alerts fusion holds now (restored ones at start), and follows rule edits. */
  start(): void {
    this.d.rules.onChange(() => this.schedule());
    this.recompute();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  onChange(listener: (change: WarningChange) => void): void {
    this.listeners.push(listener);
  }

  /** An alert changed (raised, updated, cleared, acknowledged, linked): recompute soon if an area rule aggregates it. */
  alertChanged(alert: Pick<Alert, 'ruleId'>): void {
    if (this.aggregated.has(alert.ruleId)) this.schedule();
  }

  current(): AreaWarningResult {
    return this.result;
  }

  /** The warnings in a data scope (by their district) and the coverage of their alerts, as sent to a socket. */
  messageFor(scope: DataScope): WarningsMessage {
    const rulesVersion = this.d.rules.get().version;
    if (scope.kind === 'all')
      return { generatedTs: this.generatedTs, rulesVersion, warnings: this.result.warnings, coveredBy: this.result.coveredBy };
    const warnings = this.result.warnings.filter((w) => districtInScope(scope, w.district));
    const coveredBy: Record<string, string> = {};
    for (const w of warnings) for (const id of w.alertIds) coveredBy[id] = w.id;
    return { generatedTs: this.generatedTs, rulesVersion, warnings, coveredBy };
  }

  /** Recomputes now (also the timer's job); tells fusion and listeners when anything changed. */
  recompute(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { rules } = this.d.rules.get();
    this.aggregated = new Set(rules.flatMap((r) => r.alertRuleIds));
    const nowTs = this.now();
    const open = this.d.fusion.listAlerts().filter((a) => this.aggregated.has(a.ruleId) && isAlertOpen(a));
    // every alert fusion holds counts, even one stamped a little ahead of this clock (device skew)
    const next = aggregateAreaWarnings(open, this.d.fusion.devices, rules, Number.POSITIVE_INFINITY, this.result.warnings);
    this.generatedTs = nowTs;
    if (jsonValueEqual(next.warnings, this.result.warnings)) return;
    const before = new Set(this.result.warnings.map((w) => w.id));
    const after = new Set(next.warnings.map((w) => w.id));
    const change: WarningChange = {
      result: next,
      raised: next.warnings.filter((w) => !before.has(w.id)),
      ended: this.result.warnings.filter((w) => !after.has(w.id)),
    };
    this.result = next;
    this.d.fusion.setAreaWarnings(next.warnings);
    for (const w of change.raised)
      this.d.log.info({ warningId: w.id, district: w.district, level: w.level, alerts: w.alertIds.length }, 'area warning raised');
    for (const w of change.ended) this.d.log.info({ warningId: w.id, district: w.district }, 'area warning ended');
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.d.log.error({ err }, 'area warning listener failed');
      }
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.recompute(), this.d.coalesceMs);
    this.timer.unref();
  }
}
