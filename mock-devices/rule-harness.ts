/**
 * Test support: feeds simulated readings through the real rule engine (scenes/rules.ts) with
 * DEFAULT_RULES, the way server fusion does, and remembers the worst level each (device, rule)
 * reached. Lets mock-devices tests assert alert outcomes without a server.
 */
import type { AlertLevel, Device, Reading, Rule } from '../scenes/domain';
import { ALERT_LEVEL_RANK } from '../scenes/domain';
import { DEFAULT_RULES } from '../scenes/catalogue';
import { evaluateRule, initialRuleState, type RuleState } from '../scenes/rules';

export interface RuleHit {
  deviceId: string;
  ruleId: string;
  /** worst level reached */
  level: AlertLevel;
  /** epoch ms when that level was first reached */
  firstTs: number;
}

export class RuleHarness {
  private readonly kindOf: Map<string, Device['kind']>;
  private readonly states = new Map<string, RuleState>();
  private readonly hits = new Map<string, RuleHit>();

  constructor(
    fleet: readonly Device[],
    private readonly rules: readonly Rule[] = DEFAULT_RULES,
  ) {
    this.kindOf = new Map(fleet.map((d) => [d.id, d.kind]));
  }

  feed(readings: readonly Reading[]): void {
    for (const r of readings) {
      const kind = this.kindOf.get(r.deviceId);
      for (const rule of this.rules) {
        if (rule.type === 'offline' || rule.deviceKind !== kind) continue;
        const value = r.metrics[rule.metric];
        if (value === undefined) continue;
        const key = `${r.deviceId}|${rule.id}`;
        const out = evaluateRule(rule, this.states.get(key) ?? initialRuleState(), { ts: r.ts, value });
        this.states.set(key, out.state);
        if (!out.level) continue;
        const prev = this.hits.get(key);
        if (!prev || ALERT_LEVEL_RANK[out.level] < ALERT_LEVEL_RANK[prev.level]) {
          this.hits.set(key, { deviceId: r.deviceId, ruleId: rule.id, level: out.level, firstTs: r.ts });
        }
      }
    }
  }

  /** Every (device, rule) that reached a level, with the worst level. */
  allHits(): RuleHit[] {
    return [...this.hits.values()];
  }

  /** Hits at `level` or more severe. */
  hitsAtLeast(level: AlertLevel): RuleHit[] {
    return this.allHits().filter((h) => ALERT_LEVEL_RANK[h.level] <= ALERT_LEVEL_RANK[level]);
  }

  /** Worst level reached by a device on rules whose id starts with the prefix (any rule if omitted). */
  worstLevel(deviceId: string, ruleIdPrefix?: string): AlertLevel | null {
    let worst: AlertLevel | null = null;
    for (const h of this.hits.values()) {
      if (h.deviceId !== deviceId || (ruleIdPrefix && !h.ruleId.startsWith(ruleIdPrefix))) continue;
      if (!worst || ALERT_LEVEL_RANK[h.level] < ALERT_LEVEL_RANK[worst]) worst = h.level;
    }
    return worst;
  }

  /** Level currently in force for a (device, rule). */
  currentLevel(deviceId: string, ruleId: string): AlertLevel | null {
    return this.states.get(`${deviceId}|${ruleId}`)?.level ?? null;
  }
}
