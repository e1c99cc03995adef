/**
 * The effective rules of each device and their evaluation state. Rules come from a resolver
 * (default: the catalogue's rules for the device's kind). A device's rules are resolved when its
 * handle is made and again only after a new resolver or an edit of the device — never per reading.
 * A rule whose definition changed starts from a fresh state; a rule that no longer applies
 * (removed, or `enabled: false`) is handed back in `dropped` so the caller clears its open alert.
 *
 * The caller keeps each device's `DeviceRules` handle (one lookup per reading for everything it
 * keeps per device); this book keeps the resolver and the generation.
 */
import type { Device, DeviceKind, Rule } from '../../scenes/domain';
import { createRuleRuntime, droppedRules, type RuleRuntime } from '../../scenes/rule-engine';
import { openAlertKey } from '../../scenes/alert-lifecycle';

/** The rules that apply to a device; a rule may carry `enabled` and `version` (rule-overrides.ts EffectiveRule). */
export type RuleResolver = (device: Device) => readonly Rule[];

export interface DeviceRules {
  /** resolver generation these rules were resolved at (-1: resolve again) */
  generation: number;
  engine: RuleRuntime;
  /** `${deviceId}|${ruleId}` per rule, so the hot path builds no string keys */
  alertKeys: string[];
  /** rules dropped by the last resolution, whose open alerts the caller still has to clear */
  dropped: readonly Rule[];
}

const NONE: readonly Rule[] = [];
const STALE = -1;

export class DeviceRuleBook {
  private readonly byKind = new Map<DeviceKind, Rule[]>();
  private resolver: RuleResolver;
  private generation = 0;

  constructor(private readonly defaults: readonly Rule[]) {
    for (const r of defaults) {
      const list = this.byKind.get(r.deviceKind) ?? [];
      list.push(r);
      this.byKind.set(r.deviceKind, list);
    }
    this.resolver = this.defaultResolver;
  }

  private readonly defaultResolver: RuleResolver = (device) => this.defaultsFor(device.kind);

  /** The catalogue's rules for a kind. */
  defaultsFor(kind: DeviceKind): Rule[] {
    return this.byKind.get(kind) ?? [];
  }

  /** A catalogue rule by id. */
  defaultById(id: string): Rule | undefined {
    return this.defaults.find((r) => r.id === id);
  }

  /** A new source of effective rules (null: the catalogue's); every handle resolves again at its next use. */
  setResolver(resolve: RuleResolver | null): void {
    this.resolver = resolve ?? this.defaultResolver;
    this.generation++;
  }

  /** A fresh handle for a device: its rules resolved now, every state new. */
  create(device: Device): DeviceRules {
    const rules = this.resolve(device);
    return { generation: this.generation, engine: createRuleRuntime(rules), alertKeys: keysOf(device.id, rules), dropped: NONE };
  }

  /** The handle brought up to date (in place) when the resolver or the device changed since it was resolved. */
  refresh(handle: DeviceRules, device: Device): DeviceRules {
    if (handle.generation === this.generation) return handle;
    const rules = this.resolve(device);
    handle.generation = this.generation;
    handle.dropped = droppedRules(handle.engine.rules, rules);
    handle.engine = createRuleRuntime(rules, handle.engine);
    handle.alertKeys = keysOf(device.id, rules);
    return handle;
  }

  /** The device changed (asset, status…): resolve again at the next use, keeping unchanged rules' states. */
  invalidate(handle: DeviceRules): void {
    handle.generation = STALE;
  }

  /** The rules `refresh` reported dropped, handed over once. */
  takeDropped(handle: DeviceRules): readonly Rule[] {
    const dropped = handle.dropped;
    handle.dropped = NONE;
    return dropped;
  }

  private resolve(device: Device): Rule[] {
    let rules: readonly Rule[];
    try {
      rules = this.resolver(device);
    } catch {
      // a broken override must not stop a device's readings: its kind's defaults apply meanwhile
      rules = this.defaultsFor(device.kind);
    }
    return rules.filter((r) => (r as { enabled?: boolean }).enabled !== false);
  }
}

function keysOf(deviceId: string, rules: readonly Rule[]): string[] {
  return rules.map((r) => openAlertKey(deviceId, r.id));
}
