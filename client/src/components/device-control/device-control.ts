/**
 * What the device-control UI shows, as pure functions (tested without a browser): who sees the
 * buttons, why they are disabled, the chip of a command's state, the console's list of
 * controllable devices and its filter. The server checks role, scope and device state again on
 * every command; this only decides what is shown.
 */
import { DEVICE_COMMAND_ROLES, commandEffect, commandsOf, isControllable } from '@scenes/device-commands';
import type { DeviceCommandRecord, DeviceCommandSpec } from '@scenes/device-commands';
import type { DeviceKind, DeviceLifecycle, DistrictCode, Role } from '@scenes/domain';
import type { AssetItem, DevicePoint } from '@scenes/scene-model';
import type { Lang } from '../../i18n/i18n';
import type { LatestCommand } from '../../stores/device-command-store';
import type { DeviceControlKey } from './messages';

/** Only these roles see command buttons (screens, leaders and handlers do not). */
export function mayControl(role: Role | null | undefined): boolean {
  return !!role && DEVICE_COMMAND_ROLES.includes(role);
}

/** Why the buttons are disabled, or null when a command may be sent. Same order as the server's commandRefusal. */
export type ControlBlock = 'disconnected' | 'retired' | 'maintenance' | 'offline' | 'sending';

export interface ControlSubject {
  online: boolean;
  lifecycle: DeviceLifecycle | undefined;
}

export function controlBlock(device: ControlSubject, connected: boolean, latest: LatestCommand): ControlBlock | null {
  if (!connected) return 'disconnected';
  if (device.lifecycle === 'retired') return 'retired';
  if (device.lifecycle === 'maintenance') return 'maintenance';
  if (!device.online) return 'offline';
  if (latest?.kind === 'attempt' && latest.attempt.phase === 'sending') return 'sending';
  return null;
}

export function blockKey(block: ControlBlock): DeviceControlKey {
  return `dc.blocked.${block}`;
}

/** The state chip: the four server states plus the client's own sending / no answer / refused. */
export type ChipState = DeviceCommandRecord['status'] | 'sending' | 'unknown' | 'refused';

export function chipOf(latest: LatestCommand): ChipState | null {
  if (!latest) return null;
  return latest.kind === 'attempt' ? latest.attempt.phase : latest.record.status;
}

export function chipKey(state: ChipState): DeviceControlKey {
  return `dc.status.${state}`;
}

/** Colour class of a chip: waiting, good, bad. */
export function chipTone(state: ChipState): 'wait' | 'ok' | 'bad' {
  if (state === 'acknowledged') return 'ok';
  if (state === 'sending' || state === 'sent') return 'wait';
  return 'bad';
}

export function commandLabel(spec: Pick<DeviceCommandSpec, 'label' | 'labelEn'>, language: Lang): string {
  return language === 'en' ? spec.labelEn : spec.label;
}

/** "启动", "开启 60 %": the command as a person reads it. */
export function describeCommand(kind: DeviceKind, name: string, params: { position?: number }, language: Lang): string {
  const spec = commandsOf(kind).find((c) => c.name === name);
  const label = spec ? commandLabel(spec, language) : name;
  return params.position !== undefined ? `${label} ${params.position} %` : label;
}

/** Running state shown for a device: 'running' | 'stopped' | 'released', or null when unknown. */
export type RunState = 'running' | 'stopped' | 'released';

/**
 * What the device is doing, from its latest metrics (device detail) or, when newer, the effect of
 * its latest acknowledged command. `metricsTs` = epoch ms of those metrics (0 = none).
 */
export function runStateOf(
  kind: DeviceKind,
  metrics: Readonly<Record<string, number>> | null,
  metricsTs: number,
  records: readonly DeviceCommandRecord[],
): RunState | null {
  const acked = records.find((r) => r.status === 'acknowledged');
  const fromCommand = acked && (acked.settledAt ?? acked.issuedAt) > metricsTs ? commandEffect(kind, acked.name, acked.params) : null;
  const values = fromCommand ?? metrics ?? {};
  if (values.running !== undefined) return values.running >= 1 ? 'running' : 'stopped';
  if (values.released !== undefined && values.released >= 1) return 'released';
  return null;
}

/** One controllable device in the console's list. */
export interface ControllableRow {
  id: string;
  kind: DeviceKind;
  point: DevicePoint;
  district: DistrictCode | null;
  /** the asset it is mounted on (pump station, community), for a readable name */
  assetName: string | null;
  assetNameEn: string | null;
  online: boolean;
  maintenance: boolean;
}

/**
 * Controllable devices of a scene model (already limited to the officer's scope by the server),
 * by kind then id. `districtOfPoint` is the fallback for devices on no asset (memoise it: it is
 * a point-in-polygon test).
 */
export function controllableRows(
  devices: readonly DevicePoint[],
  assets: readonly AssetItem[],
  districtOfPoint: (p: DevicePoint) => DistrictCode | null,
): ControllableRow[] {
  const assetById = new Map(assets.map((a) => [a.id, a]));
  const rows: ControllableRow[] = [];
  for (const d of devices) {
    if (!isControllable(d.kind)) continue;
    const asset = d.a ? assetById.get(d.a) : undefined;
    rows.push({
      id: d.id,
      kind: d.kind,
      point: d,
      district: asset?.district ?? districtOfPoint(d),
      assetName: asset?.name ?? null,
      assetNameEn: asset?.nameEn ?? null,
      online: d.s !== 'offline',
      maintenance: !!d.m,
    });
  }
  return rows.sort((a, b) => (a.kind === b.kind ? (a.id < b.id ? -1 : 1) : a.kind < b.kind ? -1 : 1));
}

export interface ControlFilter {
  kind: DeviceKind | 'all';
  district: DistrictCode | 'all';
}

export const DEFAULT_CONTROL_FILTER: ControlFilter = { kind: 'all', district: 'all' };

export function filterRows(rows: readonly ControllableRow[], filter: ControlFilter): ControllableRow[] {
  return rows.filter((r) => (filter.kind === 'all' || r.kind === filter.kind) && (filter.district === 'all' || r.district === filter.district));
}

/** Controllable kinds, for the kind filter. */
export function controllableKinds(kinds: readonly DeviceKind[]): DeviceKind[] {
  return kinds.filter(isControllable);
}
