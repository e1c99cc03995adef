/**
 * Test support: feeds simulated readings through the same rule engine as server fusion
 * (scenes/rule-engine.ts) with DEFAULT_RULES, and remembers the worst level each (device, rule)
 * reached. Lets mock-devices tests assert alert outcomes without a server.
 */
import type { AlertLevel, Device, Reading, Rule } from '../scenes/domain';
import { ALERT_LEVEL_RANK } from '../scenes/domain';
import { DEFAULT_RULES } from '../scenes/catalogue';
import { createRuleRuntime, evaluateReadingRules, type RuleRuntime } from '../scenes/rule-engine';

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
  private readonly runtimes = new Map<string, RuleRuntime>();
  private readonly hits = new Map<string, RuleHit>();

  constructor(
    fleet: readonly Device[],
    private readonly rules: readonly Rule[] = DEFAULT_RULES,
  ) {
    this.kindOf = new Map(fleet.map((d) => [d.id, d.kind]));
  }

  private runtimeOf(deviceId: string): RuleRuntime {
    let rt = this.runtimes.get(deviceId);
    if (!rt) {
      const kind = this.kindOf.get(deviceId);
      rt = createRuleRuntime(this.rules.filter((r) => r.deviceKind === kind));
      this.runtimes.set(deviceId, rt);
    }
    return rt;
  }

  feed(readings: readonly Reading[]): void {
    for (const r of readings) {
      const rt = this.runtimeOf(r.deviceId);
      // offline rules are the server's silence check, not part of a reading's outcome
      evaluateReadingRules(rt, r, false);
      for (let i = 0; i < rt.rules.length; i++) {
        const level = rt.levels[i];
        if (!rt.evaluated[i] || !level) continue;
        const rule = rt.rules[i]!;
        const key = `${r.deviceId}|${rule.id}`;
        const prev = this.hits.get(key);
        if (!prev || ALERT_LEVEL_RANK[level] < ALERT_LEVEL_RANK[prev.level]) {
          this.hits.set(key, { deviceId: r.deviceId, ruleId: rule.id, level, firstTs: r.ts });
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
    const rt = this.runtimes.get(deviceId);
    const i = rt ? rt.rules.findIndex((r) => r.id === ruleId) : -1;
    return rt && i >= 0 ? (rt.states[i]?.level ?? null) : null;
  }
}
