/**
 * The rule engine of one device: its effective rules, one `RuleState` per rule, and one step per
 * reading that evaluates every rule whose metric the reading carries. Shared by server fusion and
 * by the simulator's rule harness, so both judge readings the same way.
 *
 * Pure and allocation-lean: a step writes its outcome into the runtime's own per-rule slots
 * (`evaluated`, `levels`, `values`) instead of returning new objects, because fusion runs it for
 * every reading (tens of thousands per second). The caller folds each evaluated level into its
 * alerts (`applyRuleLevel`, alert-lifecycle.ts).
 */
import type { AlertLevel, Reading, Rule } from './domain';
import { evaluateRule, initialRuleState, isSilent, type RuleState } from './rules';

/** Working state of one device's rules; slot i belongs to `rules[i]`. */
export interface RuleRuntime {
  readonly rules: readonly Rule[];
  /** evaluation state per rule (undefined = not evaluated yet) */
  readonly states: (RuleState | undefined)[];
  /** per rule: whether the last step evaluated it (its level below is then meaningful) */
  readonly evaluated: boolean[];
  /** per rule: level in force after the last step (null = normal) */
  readonly levels: (AlertLevel | null)[];
  /**
   * per rule: the reading's value of the rule's metric at the last step (metric unit); NaN for
   * offline rules. Numbers only (never undefined), so the array stays unboxed: no allocation per step.
   */
  readonly values: number[];
}

/**
 * A runtime for `rules`. With `previous`, the state of every rule that did not change (same id and
 * same definition, version included) is carried over; a changed or new rule starts from scratch.
 */
export function createRuleRuntime(rules: readonly Rule[], previous?: RuleRuntime): RuleRuntime {
  const n = rules.length;
  const rt: RuleRuntime = {
    rules,
    states: new Array<RuleState | undefined>(n),
    evaluated: new Array<boolean>(n).fill(false),
    levels: new Array<AlertLevel | null>(n).fill(null),
    values: new Array<number>(n).fill(NaN),
  };
  if (!previous) return rt;
  for (let i = 0; i < n; i++) {
    const j = previous.rules.findIndex((r) => r.id === rules[i]!.id);
    if (j >= 0 && sameRule(previous.rules[j]!, rules[i]!)) rt.states[i] = previous.states[j];
  }
  return rt;
}

/** Same definition (limits, durations, levels, version…): its evaluation state stays valid. */
export function sameRule(a: Rule, b: Rule): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Rules of `previous` that are absent from `next` (by id): their open alerts lost their rule. */
export function droppedRules(previous: readonly Rule[], next: readonly Rule[]): Rule[] {
  return previous.filter((p) => !next.some((r) => r.id === p.id));
}

/**
 * One reading through every rule. Threshold, rate and event rules whose metric the reading carries
 * are evaluated; offline rules are evaluated (to normal) only when the device `cameOnline` with
 * this reading. Every other slot is marked not evaluated.
 */
export function evaluateReadingRules(rt: RuleRuntime, reading: Pick<Reading, 'ts' | 'metrics'>, cameOnline: boolean): void {
  const { rules, states, evaluated, levels, values } = rt;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.type === 'offline') {
      evaluated[i] = cameOnline;
      levels[i] = null;
      values[i] = NaN;
      continue;
    }
    const value = reading.metrics[rule.metric];
    if (value === undefined) {
      evaluated[i] = false;
      continue;
    }
    const outcome = evaluateRule(rule, states[i] ?? initialRuleState(), { ts: reading.ts, value });
    states[i] = outcome.state;
    evaluated[i] = true;
    levels[i] = outcome.level;
    values[i] = value;
  }
}

/**
 * Index of the first offline rule under which a device last heard from at `lastReadingTs` is
 * silent at `nowTs`, or -1 when none is.
 */
export function silentOfflineRule(rt: RuleRuntime, lastReadingTs: number, nowTs: number): number {
  const { rules } = rt;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.type === 'offline' && isSilent(rule, lastReadingTs, nowTs)) return i;
  }
  return -1;
}
