/**
 * The thresholds editor's form model: a rule's editable fields as strings (what inputs hold), the
 * patch a form produces against the rule below it (only the fields that differ, the whole limit
 * ladder when any level changed), and the rule that patch would give. Pure; tested without Vue.
 * Durations are edited in seconds and sent in ms.
 */
import { ALERT_LEVELS } from '@scenes/domain';
import type { AlertLevel, Rule } from '@scenes/domain';
import type { RulePatch } from '@scenes/rule-overrides';

const MS_PER_S = 1000;

export interface RuleForm {
  enabled: boolean;
  /** '' = never */
  autoIncidentLevel: AlertLevel | '';
  /** per level; '' = no limit at that level */
  limits: Record<AlertLevel, string>;
  hysteresis: string;
  minDurationS: string;
  level: AlertLevel;
  limitPerMin: string;
  windowS: string;
  silenceS: string;
}

const str = (v: number | undefined) => (v === undefined ? '' : String(v));

/** The form showing `rule` (with its enabled flag). */
export function formFromRule(rule: Rule, enabled: boolean): RuleForm {
  return {
    enabled,
    autoIncidentLevel: rule.autoIncidentLevel ?? '',
    limits: {
      red: rule.type === 'threshold' ? str(rule.limits.red) : '',
      orange: rule.type === 'threshold' ? str(rule.limits.orange) : '',
      yellow: rule.type === 'threshold' ? str(rule.limits.yellow) : '',
      blue: rule.type === 'threshold' ? str(rule.limits.blue) : '',
    },
    hysteresis: rule.type === 'threshold' ? str(rule.hysteresis) : '',
    minDurationS: rule.type === 'threshold' ? str(rule.minDurationMs / MS_PER_S) : '',
    level: rule.type === 'threshold' ? 'red' : rule.level,
    limitPerMin: rule.type === 'rate' ? str(rule.limitPerMin) : '',
    windowS: rule.type === 'rate' ? str(rule.windowMs / MS_PER_S) : '',
    silenceS: rule.type === 'offline' ? str(rule.silenceMs / MS_PER_S) : '',
  };
}

/** A number typed in a field; NaN for text that is not one (the server then names the field). */
const num = (s: string) => (s.trim() === '' ? undefined : Number(s.trim()));

/**
 * The patch that turns `base` (enabled = `baseEnabled`) into what the form shows: only changed
 * fields. An empty patch means "no deviation" (a PUT of it keeps the record, with nothing overridden).
 */
export function patchFromForm(base: Rule, baseEnabled: boolean, form: RuleForm): RulePatch {
  const patch: RulePatch = {};
  if (form.enabled !== baseEnabled) patch.enabled = form.enabled;
  const auto = form.autoIncidentLevel === '' ? null : form.autoIncidentLevel;
  if (auto !== base.autoIncidentLevel) patch.autoIncidentLevel = auto;
  switch (base.type) {
    case 'threshold': {
      const limits: Partial<Record<AlertLevel, number>> = {};
      for (const level of ALERT_LEVELS) {
        const v = num(form.limits[level]);
        if (v !== undefined) limits[level] = v;
      }
      const differs = ALERT_LEVELS.some((l) => limits[l] !== base.limits[l]);
      if (differs) patch.limits = limits;
      const h = num(form.hysteresis);
      if (h !== undefined && h !== base.hysteresis) patch.hysteresis = h;
      const d = num(form.minDurationS);
      if (d !== undefined && Math.round(d * MS_PER_S) !== base.minDurationMs) patch.minDurationMs = Math.round(d * MS_PER_S);
      break;
    }
    case 'rate': {
      if (form.level !== base.level) patch.level = form.level;
      const l = num(form.limitPerMin);
      if (l !== undefined && l !== base.limitPerMin) patch.limitPerMin = l;
      const w = num(form.windowS);
      if (w !== undefined && Math.round(w * MS_PER_S) !== base.windowMs) patch.windowMs = Math.round(w * MS_PER_S);
      break;
    }
    case 'offline': {
      if (form.level !== base.level) patch.level = form.level;
      const s = num(form.silenceS);
      if (s !== undefined && Math.round(s * MS_PER_S) !== base.silenceMs) patch.silenceMs = Math.round(s * MS_PER_S);
      break;
    }
    case 'event':
      if (form.level !== base.level) patch.level = form.level;
      break;
    default: {
      const unreachable: never = base;
      throw new Error(`unknown rule ${(unreachable as Rule).id}`);
    }
  }
  return patch;
}

/** `rule` with a patch laid over it (the preview of a proposed change; the server validates). */
export function ruleWithPatch<R extends Rule>(rule: R, patch: RulePatch): R {
  const out = { ...rule } as R & Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'enabled' || k === 'unit' || v === undefined) continue;
    out[k] = v;
  }
  return out;
}
