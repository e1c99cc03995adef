/**
 * What the plan triggers read (scenes/plans/plan-triggers.ts PlanSituation), built from the live
 * state: open alerts and incidents, the area warnings of the storm service (optional: absent,
 * no area-warning trigger fires), and every water-level gauge on a river or reservoir whose
 * asset has a guarantee level (保证水位), with its latest reading. Pure given its inputs.
 */
import type { Asset, Device, DeviceState, DistrictCode } from '../../scenes/domain';
import type { FusedState } from '../../scenes/scene-model';
import type { AreaWarning } from '../../scenes/storm/area-warnings';
import type { GaugeLevel, PlanProposal, PlanSituation } from '../../scenes/plans/plan-triggers';

/** The storm service's active district warnings (another part builds them: server/storm/). */
export interface AreaWarningSource {
  activeWarnings(): readonly AreaWarning[];
}

/** Asset kinds whose gauges are compared with a guarantee level. */
const GAUGED_ASSET_KINDS: ReadonlySet<Asset['kind']> = new Set(['river', 'reservoir']);

/** Gauges over which the water-over-guarantee trigger is checked: online, on a gauged asset, with a level. */
export function gaugeLevels(
  devices: ReadonlyMap<string, Device>,
  states: ReadonlyMap<string, Pick<DeviceState, 'online' | 'metrics'>>,
  assets: readonly Asset[],
): GaugeLevel[] {
  const guarantee = new Map<string, number>();
  const names = new Map<string, Pick<Asset, 'name' | 'nameEn'>>();
  for (const a of assets) {
    const g = a.props.guaranteeLevelM;
    if (GAUGED_ASSET_KINDS.has(a.kind) && typeof g === 'number') guarantee.set(a.id, g);
    names.set(a.id, a);
  }
  const out: GaugeLevel[] = [];
  for (const d of devices.values()) {
    if (d.kind !== 'water-level' || d.assetId === undefined || (d.status ?? 'active') !== 'active') continue;
    const guaranteeLevelM = guarantee.get(d.assetId);
    const state = states.get(d.id);
    const levelM = state?.metrics.level;
    if (guaranteeLevelM === undefined || !state?.online || typeof levelM !== 'number') continue;
    const named = names.get(d.assetId);
    out.push({ deviceId: d.id, assetId: d.assetId, levelM, guaranteeLevelM, ...(named ? { assetName: named.name, assetNameEn: named.nameEn } : {}) });
  }
  return out;
}

export function buildPlanSituation(
  state: Pick<FusedState, 'alerts' | 'incidents' | 'devices' | 'deviceStates' | 'assets'>,
  warnings: readonly AreaWarning[],
): PlanSituation {
  return {
    alerts: state.alerts.filter((a) => !a.cleared),
    incidents: state.incidents,
    areaWarnings: warnings.filter((w) => w.active),
    gauges: gaugeLevels(state.devices, state.deviceStates, state.assets),
  };
}

/** A proposal's focus with the districts of its devices added (a river gauge names no district of its own). */
export function focusWithDeviceDistricts(focus: PlanProposal['focus'], devices: ReadonlyMap<string, Device>): PlanProposal['focus'] {
  const districts = new Set<DistrictCode>(focus.districts);
  for (const id of focus.deviceIds) {
    const d = devices.get(id);
    if (d) districts.add(d.district);
  }
  return { districts: [...districts].sort(), deviceIds: [...focus.deviceIds] };
}
