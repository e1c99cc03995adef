/**
 * The device and asset registry (issue 11): the city's devices and assets as data, with device
 * credentials, compare-and-set edits, change history, bulk import/export and demo seeding.
 *
 * Invariants:
 * - The store is the truth; this service keeps a copy in memory (one node) so that reads and the
 *   ingest hot path never wait for the store. Every write is compare-and-set on `version`: a
 *   stale copy (another node wrote) answers E_CONFLICT, never a lost update.
 * - Another node's writes reach this copy through the shared log (issue 15): each store write
 *   appends a `registry.changed` event, the log follower hands it to `refresh`, which re-reads the
 *   named records and applies each one whose version is newer than the copy's exactly as a local
 *   write would (verifier, listener) — so versions only move forward, whichever comes first.
 * - A device's token is shown once (creation, rotation); the store keeps only its sha256. Rotating
 *   or retiring a device makes its old token fail at once (the verifier is updated before the
 *   call answers). Only the seeded demo fleet accepts the HMAC-derived demo tokens.
 * - An import validates every row before it writes anything; with any rejected row it writes
 *   nothing unless `partial`; its writes go to the store in chunks of REGISTRY_WRITE_CHUNK (each
 *   chunk atomic).
 * - An import never holds the event loop for long: validation, write preparation and writes run in
 *   chunks of IMPORT_CHUNK_ROWS with a turn of the loop between them. Rows validated against a
 *   device that changes meanwhile are still safe: every write is compare-and-set on the version
 *   the row was validated against (a concurrent edit answers E_CONFLICT for that row).
 */
import type { z } from 'zod';
import { DEVICE_CATALOGUE } from '../../scenes/catalogue';
import type { Asset, Device, EmergencyResource, LngLat } from '../../scenes/domain';
import { districtOf } from '../../scenes/geo/districts';
import type { IocError } from '../../scenes/protocol';
import { DeviceTokenVerifier, hashDeviceToken, newDeviceToken, type DeviceCredential } from '../device-token';
import { iocError } from '../errors';
import { failure, type Failure } from '../guard';
import {
  REGISTRY_WRITE_CHUNK,
  type RegistryChange,
  type RegistryCollection,
  type RegistryRecord,
  type RegistryWrite,
  type Store,
  type StoredDeviceCredential,
} from '../store/store';
import { IMPORT_CHUNK_ROWS, toCsv, yieldToEventLoop, type ImportRow } from './import-format';
import { CAMERA_COLUMNS, cameraCandidate, cameraCells } from './camera-columns';
import {
  ASSET_COLUMNS,
  AssetInputSchema,
  DEVICE_COLUMNS,
  DeviceInputSchema,
  type AssetInput,
  type AssetPatch,
  type DeviceInput,
  type DevicePatch,
  type ImportRejection,
  type ImportReport,
  type RegistryAsset,
  type RegistryDevice,
} from './registry-schemas';

export interface RegistryLimits {
  /** devices in the registry, retired ones included */
  maxDevices: number;
  /** assets in the registry */
  maxAssets: number;
  /** body of one import request, bytes */
  maxImportBytes: number;
  /** rows (features) of one import */
  maxImportRows: number;
  /** history entries answered by `GET …/:id/history` */
  historyPageEntries: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  maxDevices: 1_000_000,
  maxAssets: 100_000,
  maxImportBytes: 20 * 1024 * 1024,
  maxImportRows: 200_000,
  historyPageEntries: 50,
};

/**
 * Where a registry change was made: `local` = on this node (its alert consequences are this
 * node's to persist and notify), `log` = on another node, read back through the shared log (the
 * origin node persisted and notified them; their events arrive through the log too).
 */
export type RegistryChangeOrigin = 'local' | 'log';

/** What the live system hears of registry changes (fusion: map, KPIs, rules). */
export interface RegistryListener {
  /** a device was created or edited (also: retired, with `status: 'retired'`) */
  deviceChanged(device: Device, origin: RegistryChangeOrigin): void;
  /** an asset was created, edited, imported or retired (`retired: true`) */
  assetChanged?(asset: RegistryAsset, origin: RegistryChangeOrigin): void;
}

export type Ok<T> = { ok: true } & T;
export type Outcome<T> = Ok<T> | Failure;

/** Who did it, for the change history. */
export interface Actor {
  username: string;
}

const SEED_ACTOR = 'seed';

/** The fields of a device an import sets (and an export writes), for "unchanged" comparisons. */
function importableDevice(d: RegistryDevice | (DeviceInput & { district: RegistryDevice['district'] })): Record<string, unknown> {
  return {
    id: d.id,
    kind: d.kind,
    name: d.name,
    location: [d.location[0], d.location[1]],
    district: d.district,
    assetId: d.assetId,
    installDate: d.installDate,
    vendor: d.vendor,
    model: d.model,
    status: d.status,
    camera: d.camera,
  };
}

function importableAsset(a: RegistryAsset | (AssetInput & { district: RegistryAsset['district'] })): Record<string, unknown> {
  return {
    id: a.id,
    type: a.type,
    name: a.name,
    nameEn: a.nameEn,
    scene: a.scene,
    district: a.district,
    geometry: a.geometry,
    attributes: a.attributes,
  };
}

/** Deep equality of JSON-like values (key order ignored; undefined fields count as absent). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!sameJson(ao[k], bo[k])) return false;
  return true;
}

/** The fields that differ, before and after (for RegistryChange). */
function diffFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (k === 'version' || k === 'updatedTs' || k === 'updatedBy' || k === 'createdTs') continue;
    if (!sameJson(before[k], after[k])) {
      if (before[k] !== undefined) b[k] = before[k];
      if (after[k] !== undefined) a[k] = after[k];
    }
  }
  return { before: b, after: a };
}

/** A copy without the undefined fields (what JSON would store). */
function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** The zod issue path as the import column it came from. */
function columnOf(path: readonly PropertyKey[], format: 'device' | 'asset'): string | undefined {
  if (path.length === 0) return undefined;
  const [head, next] = path;
  if (format === 'device' && head === 'location') return next === 0 ? 'lng' : next === 1 ? 'lat' : 'lng,lat';
  if (format === 'device' && head === 'camera') {
    const leaf = path[path.length - 1];
    return next === 'stream' ? (leaf === 'format' ? 'streamFormat' : 'streamUrl') : leaf === 'headingDeg' || leaf === 'fovDeg' ? leaf : 'camera';
  }
  return String(head);
}

/** One rejection per (row, column): several issues of one cell are joined into one message. */
/** The first row of a file to name an id claims it; a later row naming it again is rejected. */
function claimImportId(seen: Map<string, number>, id: string, row: number): ImportRejection | null {
  const firstRow = seen.get(id);
  if (firstRow !== undefined) return { row, column: 'id', code: 'E_VALIDATION', message: `duplicate id ${id} (first at row ${firstRow})` };
  seen.set(id, row);
  return null;
}

function rejectionsOf(row: number, err: z.ZodError, format: 'device' | 'asset'): ImportRejection[] {
  const byColumn = new Map<string | undefined, string[]>();
  for (const i of err.issues) {
    const column = columnOf(i.path, format);
    const messages = byColumn.get(column) ?? [];
    if (!messages.includes(i.message)) messages.push(i.message);
    byColumn.set(column, messages);
  }
  return [...byColumn].map(([column, messages]) =>
    column === undefined
      ? { row, code: 'E_VALIDATION', message: messages.join('; ') }
      : { row, column, code: 'E_VALIDATION', message: messages.join('; ') },
  );
}

function anchorOf(g: RegistryAsset['geometry']): LngLat {
  switch (g.type) {
    case 'Point':
      return g.coordinates as LngLat;
    case 'LineString':
      return g.coordinates[0] as LngLat;
    case 'Polygon':
      return g.coordinates[0]![0] as LngLat;
  }
}

export class DeviceRegistry {
  private readonly devices = new Map<string, RegistryDevice>();
  private readonly assets = new Map<string, RegistryAsset>();
  private listener: RegistryListener | null = null;
  /** devices whose credential is the demo HMAC (seeded fleet, never rotated) */
  private readonly demoDevices = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly verifier: DeviceTokenVerifier,
    readonly limits: RegistryLimits = DEFAULT_REGISTRY_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Read the registry and the credentials from the store; the verifier then accepts only those. */
  async load(): Promise<void> {
    const [devices, assets, credentials] = await Promise.all([
      this.store.listRegistry<RegistryDevice>('device'),
      this.store.listRegistry<RegistryAsset>('asset'),
      this.store.listDeviceCredentials(),
    ]);
    this.devices.clear();
    this.demoDevices.clear();
    for (const d of devices) this.devices.set(d.id, d);
    this.assets.clear();
    for (const a of assets) this.assets.set(a.id, a);
    const held: [string, DeviceCredential][] = [];
    for (const c of credentials) {
      const d = this.devices.get(c.deviceId);
      const v = d && d.status !== 'retired' ? this.verifierCredential(c) : null;
      if (v) held.push([c.deviceId, v]);
      if (v?.kind === 'demo-hmac') this.demoDevices.add(c.deviceId);
    }
    this.verifier.useCredentials(held);
  }

  /** Is the registry empty (no device and no asset)? */
  isEmpty(): boolean {
    return this.devices.size === 0 && this.assets.size === 0;
  }

  /**
   * Demo seeding on an empty registry: the demo fleet (flagged: its HMAC demo tokens are accepted)
   * and the Qingdao assets and emergency resources, written through the same store calls as edits.
   */
  async seedDemo(
    fleet: readonly Device[],
    assets: readonly Asset[],
    resources: readonly EmergencyResource[],
  ): Promise<{ devices: number; assets: number }> {
    const ts = this.now();
    const assetRecords: RegistryAsset[] = [
      ...assets.map((a) =>
        compact<RegistryAsset>({
          id: a.id,
          version: 1,
          type: a.kind,
          name: a.name,
          nameEn: a.nameEn,
          scene: a.scene,
          district: a.district,
          geometry: a.geometry,
          attributes: { ...a.props },
          retired: false,
          createdTs: ts,
          updatedTs: ts,
          updatedBy: SEED_ACTOR,
        }),
      ),
      ...resources.map<RegistryAsset>((r) => ({
        id: r.id,
        version: 1,
        type: r.kind,
        name: r.name,
        nameEn: r.nameEn,
        scene: 'emergency',
        district: r.district,
        geometry: { type: 'Point', coordinates: r.location },
        attributes: { capacity: r.capacity, available: r.available },
        retired: false,
        createdTs: ts,
        updatedTs: ts,
        updatedBy: SEED_ACTOR,
      })),
    ];
    const deviceRecords: RegistryDevice[] = fleet.map((d) =>
      compact<RegistryDevice>({
        id: d.id,
        version: 1,
        kind: d.kind,
        scene: d.scene,
        name: d.name,
        location: d.location,
        district: d.district,
        assetId: d.assetId,
        status: d.status ?? 'active',
        camera: d.camera,
        maintenance: [],
        createdTs: ts,
        updatedTs: ts,
        updatedBy: SEED_ACTOR,
      }),
    );
    const seedChange = (version: number): RegistryChange => ({ ts, actor: SEED_ACTOR, action: 'seed', version, before: {}, after: {} });
    await this.writeChunked(
      'asset',
      assetRecords.map((record) => ({ record, expectedVersion: 0, change: seedChange(1) })),
    );
    await this.writeChunked(
      'device',
      deviceRecords.map((record) => ({
        record,
        expectedVersion: 0,
        change: seedChange(1),
        credential: { deviceId: record.id, kind: 'demo-hmac', issuedTs: ts },
      })),
    );
    for (const a of assetRecords) this.assets.set(a.id, a);
    for (const d of deviceRecords) {
      this.devices.set(d.id, d);
      this.verifier.setCredential(d.id, { kind: 'demo-hmac' });
      this.demoDevices.add(d.id);
    }
    return { devices: deviceRecords.length, assets: assetRecords.length };
  }

  /** From now on registry changes are told to `listener`. */
  attach(listener: RegistryListener): void {
    this.listener = listener;
  }

  // --- devices -----------------------------------------------------------------------------------

  listDevices(): RegistryDevice[] {
    return [...this.devices.values()];
  }

  getDevice(id: string): RegistryDevice | undefined {
    return this.devices.get(id);
  }

  /** Does this device still accept the demo fleet's HMAC-derived token? */
  isDemoCredential(id: string): boolean {
    return this.demoDevices.has(id);
  }

  /** The devices the live system runs with (retired ones included, flagged: fusion leaves them off the map). */
  liveDevices(): Device[] {
    return this.listDevices().map(toLiveDevice);
  }

  async deviceHistory(id: string): Promise<Outcome<{ history: RegistryChange[] }>> {
    if (!this.devices.has(id)) return failure(iocError('E_NOT_FOUND', `no device ${id}`));
    return { ok: true, history: await this.store.registryHistory('device', id, this.limits.historyPageEntries) };
  }

  async createDevice(
    input: DeviceInput & { maintenance?: RegistryDevice['maintenance'] },
    actor: Actor,
  ): Promise<Outcome<{ device: RegistryDevice; token: string }>> {
    if (this.devices.has(input.id)) return failure(iocError('E_CONFLICT', `device ${input.id} exists already`));
    if (this.devices.size >= this.limits.maxDevices)
      return failure(iocError('E_QUOTA', `the registry holds at most ${this.limits.maxDevices} devices`));
    const checked = this.checkDeviceRefs(input);
    if (typeof checked === 'object') return failure(checked);
    const ts = this.now();
    const device = compact<RegistryDevice>({
      ...input,
      district: checked,
      scene: DEVICE_CATALOGUE[input.kind].scene,
      version: 1,
      maintenance: input.maintenance ?? [],
      createdTs: ts,
      updatedTs: ts,
      updatedBy: actor.username,
    });
    const token = newDeviceToken();
    const credential: StoredDeviceCredential = { deviceId: device.id, kind: 'secret', sha256: hashDeviceToken(token), issuedTs: ts };
    const change: RegistryChange = { ts, actor: actor.username, action: 'create', version: 1, before: {}, after: importableDevice(device) };
    const written = await this.store.writeRegistry('device', [{ record: device, expectedVersion: 0, change, credential }]);
    if (written.status === 'conflict') return failure(iocError('E_CONFLICT', `device ${device.id} exists already`));
    this.applyDevice(device, credential);
    return { ok: true, device, token };
  }

  async patchDevice(id: string, patch: DevicePatch, actor: Actor): Promise<Outcome<{ device: RegistryDevice }>> {
    const current = this.devices.get(id);
    if (!current) return failure(iocError('E_NOT_FOUND', `no device ${id}`));
    if (patch.version !== current.version) return failure(this.conflict('device', current));
    const { version: _v, ...fields } = patch;
    const merged: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) merged[k] = v === null ? undefined : v;
    // a moved device gets the district of its new location unless the patch names one
    if (patch.location && !patch.district) merged.district = undefined;
    const next = merged as unknown as RegistryDevice;
    const checked = this.checkDeviceRefs(next);
    if (typeof checked === 'object') return failure(checked);
    next.district = checked;
    next.scene = DEVICE_CATALOGUE[next.kind].scene;
    const retiring = next.status === 'retired' && current.status !== 'retired';
    return this.writeDevice(current, compact(next), actor, retiring ? 'retire' : 'update', retiring ? 'revoke' : 'keep');
  }

  /** DELETE = retire: off the map, readings refused, token revoked; history kept. */
  async retireDevice(id: string, version: number | undefined, actor: Actor): Promise<Outcome<{ device: RegistryDevice }>> {
    const current = this.devices.get(id);
    if (!current) return failure(iocError('E_NOT_FOUND', `no device ${id}`));
    if (version !== undefined && version !== current.version) return failure(this.conflict('device', current));
    if (current.status === 'retired') return { ok: true, device: current };
    return this.writeDevice(current, { ...current, status: 'retired' }, actor, 'retire', 'revoke');
  }

  /** A new random token (shown once); the old one fails from now on. A retired device has none. */
  async rotateToken(id: string, version: number | undefined, actor: Actor): Promise<Outcome<{ device: RegistryDevice; token: string }>> {
    const current = this.devices.get(id);
    if (!current) return failure(iocError('E_NOT_FOUND', `no device ${id}`));
    if (version !== undefined && version !== current.version) return failure(this.conflict('device', current));
    if (current.status === 'retired')
      return failure(iocError('E_CONFLICT', `device ${id} is retired; reactivate it (PATCH status) before issuing a token`));
    const token = newDeviceToken();
    const r = await this.writeDevice(current, { ...current }, actor, 'rotate-token', token);
    return r.ok ? { ok: true, device: r.device, token } : r;
  }

  /** The district of a device input, or the error why it has none / names an unknown asset. */
  private checkDeviceRefs(d: {
    kind: RegistryDevice['kind'];
    camera?: unknown;
    location: LngLat;
    district?: RegistryDevice['district'];
    assetId?: string;
  }): RegistryDevice['district'] | IocError {
    if (d.camera !== undefined && d.kind !== 'camera')
      return iocError('E_VALIDATION', `only a camera has a stream (kind ${d.kind})`, { column: 'camera' });
    if (d.assetId !== undefined && !this.assets.has(d.assetId)) return iocError('E_VALIDATION', `unknown asset ${d.assetId}`, { column: 'assetId' });
    const district = d.district ?? districtOf(d.location);
    if (!district) return iocError('E_VALIDATION', `location ${d.location.join(',')} is in no district of the city`, { column: 'lng,lat' });
    return district;
  }

  private conflict(what: 'device' | 'asset', current: RegistryDevice | RegistryAsset): IocError {
    return iocError('E_CONFLICT', `${what} ${current.id} was changed meanwhile (now version ${current.version}); reload and edit again`, { current });
  }

  /** credentialAction: 'keep' the credential, 'revoke' it, or a new token to issue. */
  private async writeDevice(
    current: RegistryDevice,
    next: RegistryDevice,
    actor: Actor,
    action: string,
    credentialAction: 'keep' | 'revoke' | string,
  ): Promise<Outcome<{ device: RegistryDevice }>> {
    const ts = this.now();
    const record: RegistryDevice = { ...next, version: current.version + 1, updatedTs: ts, updatedBy: actor.username };
    const diff = diffFields(current as unknown as Record<string, unknown>, record as unknown as Record<string, unknown>);
    let credential: StoredDeviceCredential | undefined;
    if (credentialAction === 'revoke') credential = { deviceId: record.id, kind: 'revoked', issuedTs: ts };
    else if (credentialAction !== 'keep') {
      credential = { deviceId: record.id, kind: 'secret', sha256: hashDeviceToken(credentialAction), issuedTs: ts };
      diff.after.credentialIssuedTs = ts;
    }
    const change: RegistryChange = { ts, actor: actor.username, action, version: record.version, ...diff };
    const written = await this.store.writeRegistry('device', [{ record, expectedVersion: current.version, change, credential }]);
    if (written.status === 'conflict') {
      const fresh = await this.store.getRegistry<RegistryDevice>('device', record.id);
      if (fresh) this.devices.set(fresh.id, fresh);
      return failure(this.conflict('device', fresh ?? current));
    }
    this.applyDevice(record, credential);
    return { ok: true, device: record };
  }

  /** After a successful write: the copy, the verifier, and the live system. */
  private applyDevice(device: RegistryDevice, credential: StoredDeviceCredential | undefined): void {
    this.devices.set(device.id, device);
    if (credential) this.demoDevices.delete(device.id);
    if (device.status === 'retired') this.verifier.setCredential(device.id, null);
    else if (credential) this.verifier.setCredential(device.id, this.verifierCredential(credential));
    this.listener?.deviceChanged(toLiveDevice(device), 'local');
  }

  /**
   * Another node wrote these records (issue 15, a `registry.changed` event of the shared log):
   * re-read them (`'all'`: the whole collection) and apply each one newer than this copy as a
   * local write would — the device copy, its credential in the verifier (a new device's token is
   * accepted, a rotated-away or retired one refused), the listener (`origin: 'log'`). A record
   * this copy already holds at that version or later is left alone (an event read twice, or a
   * local write that overtook it). Rejects only when the store does not answer (then nothing of
   * that read is applied; the caller retries).
   */
  async refresh(collection: 'device' | 'asset', ids: readonly string[] | 'all'): Promise<void> {
    if (collection === 'asset') {
      const assets =
        ids === 'all' ? await this.store.listRegistry<RegistryAsset>('asset') : await this.store.getRegistryRecords<RegistryAsset>('asset', ids);
      for (const a of assets) {
        const known = this.assets.get(a.id);
        if (known && known.version >= a.version) continue;
        this.assets.set(a.id, a);
        this.listener?.assetChanged?.(a, 'log');
      }
      return;
    }
    const devices =
      ids === 'all' ? await this.store.listRegistry<RegistryDevice>('device') : await this.store.getRegistryRecords<RegistryDevice>('device', ids);
    const newer = devices.filter((d) => this.isNewerDevice(d));
    if (newer.length === 0) return;
    // read after the records: a credential is never older than the record it is applied with
    // (a newer one, of a write whose own event follows, only refuses an old token sooner)
    const credentials = ids === 'all' ? await this.store.listDeviceCredentials() : await this.store.getDeviceCredentials(newer.map((d) => d.id));
    const credentialOf = new Map(credentials.map((c) => [c.deviceId, c]));
    for (const d of newer) {
      // a local write may have landed while the store answered
      if (this.isNewerDevice(d)) this.applyStoredDevice(d, credentialOf.get(d.id));
    }
  }

  private isNewerDevice(d: RegistryDevice): boolean {
    const known = this.devices.get(d.id);
    return !known || known.version < d.version;
  }

  /** A device as the store holds it, with its stored credential: the same rules as `load`. */
  private applyStoredDevice(device: RegistryDevice, credential: StoredDeviceCredential | undefined): void {
    this.devices.set(device.id, device);
    const held = device.status !== 'retired' && credential ? this.verifierCredential(credential) : null;
    this.verifier.setCredential(device.id, held);
    if (held?.kind === 'demo-hmac') this.demoDevices.add(device.id);
    else this.demoDevices.delete(device.id);
    this.listener?.deviceChanged(toLiveDevice(device), 'log');
  }

  private verifierCredential(c: StoredDeviceCredential): DeviceCredential | null {
    if (c.kind === 'secret') return { kind: 'secret', sha256Hex: c.sha256 };
    if (c.kind === 'demo-hmac') return { kind: 'demo-hmac' };
    return null;
  }

  /**
   * Import devices: every row validated first (schema, duplicate ids in the file, unknown assets,
   * districts), then — unless dry run, or rows were rejected without `partial` — written in chunks.
   * Created devices get a fresh token each, answered once in `tokens`.
   */
  async importDevices(
    rows: readonly ImportRow[],
    opts: { dryRun: boolean; partial: boolean },
    actor: Actor,
  ): Promise<ImportReport & { tokens: { deviceId: string; token: string }[] }> {
    const rejected: ImportRejection[] = [];
    const seen = new Map<string, number>();
    const writes: { next: RegistryDevice; current?: RegistryDevice }[] = [];
    let unchanged = 0;
    let creating = 0;
    const ts = this.now();
    for (const [index, { row, values }] of rows.entries()) {
      // a 100,000-row import validates for seconds: one chunk per synchronous step
      if (index > 0 && index % IMPORT_CHUNK_ROWS === 0) await yieldToEventLoop();
      const candidate = this.deviceCandidate(values);
      const id = typeof candidate.id === 'string' ? candidate.id : undefined;
      const current = id !== undefined ? this.devices.get(id) : undefined;
      // an update names only the columns it changes: the others keep their values
      const merged: Record<string, unknown> = current ? { ...importableDevice(current), ...candidate } : candidate;
      const camera = cameraCandidate(values, numberCell, current?.camera);
      if (camera !== undefined) merged.camera = camera;
      if (current && candidate.location && !candidate.district && !sameJson(candidate.location, current.location)) delete merged.district;
      if (current && merged.assetId === undefined) delete merged.assetId;
      for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
      const parsed = DeviceInputSchema.safeParse(merged);
      if (!parsed.success) {
        rejected.push(...rejectionsOf(row, parsed.error, 'device'));
        continue;
      }
      const input = parsed.data;
      const duplicate = claimImportId(seen, input.id, row);
      if (duplicate) {
        rejected.push(duplicate);
        continue;
      }
      const district = this.checkDeviceRefs(input);
      if (typeof district === 'object') {
        const column = (district.details as { column?: string } | undefined)?.column;
        rejected.push(
          column ? { row, column, code: 'E_VALIDATION', message: district.message } : { row, code: 'E_VALIDATION', message: district.message },
        );
        continue;
      }
      const fields = compact({ ...input, district });
      if (current) {
        if (sameJson(importableDevice(current), importableDevice(fields))) {
          unchanged++;
          continue;
        }
        const base: Record<string, unknown> = { ...current };
        for (const k of ['assetId', 'installDate', 'vendor', 'model', 'camera'] as const) delete base[k];
        writes.push({ current, next: compact({ ...(base as unknown as RegistryDevice), ...fields, scene: DEVICE_CATALOGUE[input.kind].scene }) });
      } else {
        if (this.devices.size + creating >= this.limits.maxDevices) {
          rejected.push({ row, code: 'E_VALIDATION', message: `the registry holds at most ${this.limits.maxDevices} devices` });
          continue;
        }
        creating++;
        writes.push({
          next: compact<RegistryDevice>({
            ...fields,
            scene: DEVICE_CATALOGUE[input.kind].scene,
            version: 0,
            maintenance: [],
            createdTs: ts,
            updatedTs: ts,
            updatedBy: actor.username,
          }),
        });
      }
    }
    const created = writes.filter((w) => !w.current).length;
    const report = {
      created,
      updated: writes.length - created,
      unchanged,
      rejected,
      dryRun: opts.dryRun,
      applied: false,
      tokens: [] as { deviceId: string; token: string }[],
    };
    if (opts.dryRun || (rejected.length > 0 && !opts.partial) || writes.length === 0)
      return { ...report, applied: !opts.dryRun && rejected.length === 0 };

    const tokens: { deviceId: string; token: string }[] = [];
    const storeWrites: RegistryWrite[] = await mapInChunks(writes, ({ next, current }) => {
      const record: RegistryDevice = { ...next, version: (current?.version ?? 0) + 1, updatedTs: ts, updatedBy: actor.username };
      const diff = current
        ? diffFields(current as unknown as Record<string, unknown>, record as unknown as Record<string, unknown>)
        : { before: {}, after: importableDevice(record) };
      const write: RegistryWrite = {
        record,
        expectedVersion: current?.version ?? 0,
        change: { ts, actor: actor.username, action: current ? 'import-update' : 'import-create', version: record.version, ...diff },
      };
      if (!current) {
        const token = newDeviceToken();
        tokens.push({ deviceId: record.id, token });
        write.credential = { deviceId: record.id, kind: 'secret', sha256: hashDeviceToken(token), issuedTs: ts };
      } else if (record.status === 'retired' && current.status !== 'retired')
        write.credential = { deviceId: record.id, kind: 'revoked', issuedTs: ts };
      return write;
    });
    const conflicts = await this.writeChunked('device', storeWrites, (w) => this.applyDevice(w.record as RegistryDevice, w.credential));
    for (const c of conflicts) {
      const row = seen.get(c.id) ?? 0;
      rejected.push({
        row,
        column: 'id',
        code: 'E_CONFLICT',
        message: `device ${c.id} was changed meanwhile (now version ${c.currentVersion}); import again`,
      });
    }
    const conflictIds = new Set(conflicts.map((c) => c.id));
    return { ...report, rejected, applied: true, tokens: tokens.filter((t) => !conflictIds.has(t.deviceId)) };
  }

  /** An import row as a device input candidate (CSV cells are text; GeoJSON properties are typed). */
  private deviceCandidate(values: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(values)) {
      if (k === 'lng' || k === 'lat' || k === 'geometry' || (CAMERA_COLUMNS as readonly string[]).includes(k)) continue;
      out[k] = values[k];
    }

    const geometry = values.geometry as { type?: unknown; coordinates?: unknown } | undefined;
    if (geometry !== undefined) {
      if (geometry && typeof geometry === 'object' && geometry.type === 'Point') out.location = geometry.coordinates;
      else out.location = 'a GeoJSON Point';
    } else if (values.lng !== undefined || values.lat !== undefined) out.location = [numberCell(values.lng), numberCell(values.lat)];
    return out;
  }

  exportDevices(format: 'csv' | 'geojson'): string {
    const devices = this.listDevices().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (format === 'csv')
      return toCsv(
        DEVICE_COLUMNS,
        devices.map((d) => [
          d.id,
          d.kind,
          d.name,
          d.location[0],
          d.location[1],
          d.district,
          d.assetId,
          d.installDate,
          d.vendor,
          d.model,
          d.status,
          ...cameraCells(d.camera),
        ]),
      );
    return JSON.stringify({
      type: 'FeatureCollection',
      features: devices.map((d) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: d.location },
        properties: compact({
          id: d.id,
          kind: d.kind,
          name: d.name,
          district: d.district,
          assetId: d.assetId,
          installDate: d.installDate,
          vendor: d.vendor,
          model: d.model,
          status: d.status,
          camera: d.camera,
        }),
      })),
    });
  }

  // --- assets ------------------------------------------------------------------------------------

  listAssets(): RegistryAsset[] {
    return [...this.assets.values()];
  }

  getAsset(id: string): RegistryAsset | undefined {
    return this.assets.get(id);
  }

  async assetHistory(id: string): Promise<Outcome<{ history: RegistryChange[] }>> {
    if (!this.assets.has(id)) return failure(iocError('E_NOT_FOUND', `no asset ${id}`));
    return { ok: true, history: await this.store.registryHistory('asset', id, this.limits.historyPageEntries) };
  }

  async createAsset(input: AssetInput, actor: Actor): Promise<Outcome<{ asset: RegistryAsset }>> {
    if (this.assets.has(input.id)) return failure(iocError('E_CONFLICT', `asset ${input.id} exists already`));
    if (this.assets.size >= this.limits.maxAssets) return failure(iocError('E_QUOTA', `the registry holds at most ${this.limits.maxAssets} assets`));
    const district = input.district ?? districtOf(anchorOf(input.geometry));
    if (!district) return failure(iocError('E_VALIDATION', 'the asset lies in no district of the city'));
    const ts = this.now();
    const asset = compact<RegistryAsset>({ ...input, district, version: 1, retired: false, createdTs: ts, updatedTs: ts, updatedBy: actor.username });
    const change: RegistryChange = { ts, actor: actor.username, action: 'create', version: 1, before: {}, after: importableAsset(asset) };
    const written = await this.store.writeRegistry('asset', [{ record: asset, expectedVersion: 0, change }]);
    if (written.status === 'conflict') return failure(iocError('E_CONFLICT', `asset ${asset.id} exists already`));
    this.assets.set(asset.id, asset);
    this.listener?.assetChanged?.(asset, 'local');
    return { ok: true, asset };
  }

  async patchAsset(id: string, patch: AssetPatch, actor: Actor): Promise<Outcome<{ asset: RegistryAsset }>> {
    const current = this.assets.get(id);
    if (!current) return failure(iocError('E_NOT_FOUND', `no asset ${id}`));
    if (patch.version !== current.version) return failure(this.conflict('asset', current));
    const { version: _v, ...fields } = patch;
    const merged: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) merged[k] = v === null ? undefined : v;
    // per-type attribute rules hold after the edit as well
    const check = AssetInputSchema.safeParse(compact(importableAsset(merged as unknown as RegistryAsset)));
    if (!check.success) return failure(iocError('E_VALIDATION', check.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')));
    return this.writeAsset(current, compact(merged as unknown as RegistryAsset), actor, 'update');
  }

  async retireAsset(id: string, version: number | undefined, actor: Actor): Promise<Outcome<{ asset: RegistryAsset }>> {
    const current = this.assets.get(id);
    if (!current) return failure(iocError('E_NOT_FOUND', `no asset ${id}`));
    if (version !== undefined && version !== current.version) return failure(this.conflict('asset', current));
    if (current.retired) return { ok: true, asset: current };
    return this.writeAsset(current, { ...current, retired: true }, actor, 'retire');
  }

  private async writeAsset(current: RegistryAsset, next: RegistryAsset, actor: Actor, action: string): Promise<Outcome<{ asset: RegistryAsset }>> {
    const ts = this.now();
    const record: RegistryAsset = { ...next, version: current.version + 1, updatedTs: ts, updatedBy: actor.username };
    const diff = diffFields(current as unknown as Record<string, unknown>, record as unknown as Record<string, unknown>);
    const written = await this.store.writeRegistry('asset', [
      { record, expectedVersion: current.version, change: { ts, actor: actor.username, action, version: record.version, ...diff } },
    ]);
    if (written.status === 'conflict') {
      const fresh = await this.store.getRegistry<RegistryAsset>('asset', record.id);
      if (fresh) this.assets.set(fresh.id, fresh);
      return failure(this.conflict('asset', fresh ?? current));
    }
    this.assets.set(record.id, record);
    this.listener?.assetChanged?.(record, 'local');
    return { ok: true, asset: record };
  }

  /** Import assets (same rules as devices; CSV cells `geometry` and `attributes` are JSON text). */
  async importAssets(rows: readonly ImportRow[], opts: { dryRun: boolean; partial: boolean }, actor: Actor): Promise<ImportReport> {
    const rejected: ImportRejection[] = [];
    const seen = new Map<string, number>();
    const writes: { next: RegistryAsset; current?: RegistryAsset }[] = [];
    let unchanged = 0;
    let creating = 0;
    const ts = this.now();
    for (const [index, { row, values }] of rows.entries()) {
      // a 100,000-row import validates for seconds: one chunk per synchronous step
      if (index > 0 && index % IMPORT_CHUNK_ROWS === 0) await yieldToEventLoop();
      const candidate: Record<string, unknown> = {};
      let bad = false;
      for (const k of Object.keys(values)) {
        const v = values[k];
        if ((k === 'geometry' || k === 'attributes') && typeof v === 'string') {
          try {
            candidate[k] = JSON.parse(v);
          } catch {
            rejected.push({ row, column: k, code: 'E_VALIDATION', message: `${k} is not valid JSON` });
            bad = true;
          }
        } else candidate[k] = v;
      }
      if (bad) continue;
      const current = typeof candidate.id === 'string' ? this.assets.get(candidate.id) : undefined;
      const merged: Record<string, unknown> = current ? { ...compact(importableAsset(current)), ...candidate } : candidate;
      const parsed = AssetInputSchema.safeParse(merged);
      if (!parsed.success) {
        rejected.push(...rejectionsOf(row, parsed.error, 'asset'));
        continue;
      }
      const input = parsed.data;
      const duplicate = claimImportId(seen, input.id, row);
      if (duplicate) {
        rejected.push(duplicate);
        continue;
      }
      const district = input.district ?? districtOf(anchorOf(input.geometry));
      if (!district) {
        rejected.push({ row, column: 'geometry', code: 'E_VALIDATION', message: 'the asset lies in no district of the city' });
        continue;
      }
      const fields = compact({ ...input, district });
      if (current) {
        if (sameJson(compact(importableAsset(current)), compact(importableAsset(fields)))) unchanged++;
        else writes.push({ current, next: compact({ ...current, nameEn: undefined, scene: undefined, ...fields }) });
      } else {
        if (this.assets.size + creating >= this.limits.maxAssets) {
          rejected.push({ row, code: 'E_VALIDATION', message: `the registry holds at most ${this.limits.maxAssets} assets` });
          continue;
        }
        creating++;
        writes.push({ next: { ...fields, version: 0, retired: false, createdTs: ts, updatedTs: ts, updatedBy: actor.username } });
      }
    }
    const created = writes.filter((w) => !w.current).length;
    const report: ImportReport = { created, updated: writes.length - created, unchanged, rejected, dryRun: opts.dryRun, applied: false };
    if (opts.dryRun || (rejected.length > 0 && !opts.partial) || writes.length === 0)
      return { ...report, applied: !opts.dryRun && rejected.length === 0 };
    const storeWrites: RegistryWrite[] = await mapInChunks(writes, ({ next, current }) => {
      const record: RegistryAsset = { ...next, version: (current?.version ?? 0) + 1, updatedTs: ts, updatedBy: actor.username };
      const diff = current
        ? diffFields(current as unknown as Record<string, unknown>, record as unknown as Record<string, unknown>)
        : { before: {}, after: importableAsset(record) };
      return {
        record,
        expectedVersion: current?.version ?? 0,
        change: { ts, actor: actor.username, action: current ? 'import-update' : 'import-create', version: record.version, ...diff },
      };
    });
    const conflicts = await this.writeChunked('asset', storeWrites, (w) => {
      this.assets.set(w.record.id, w.record as RegistryAsset);
      this.listener?.assetChanged?.(w.record as RegistryAsset, 'local');
    });
    for (const c of conflicts)
      rejected.push({
        row: seen.get(c.id) ?? 0,
        column: 'id',
        code: 'E_CONFLICT',
        message: `asset ${c.id} was changed meanwhile (now version ${c.currentVersion}); import again`,
      });
    return { ...report, rejected, applied: true };
  }

  exportAssets(format: 'csv' | 'geojson'): string {
    const assets = this.listAssets().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (format === 'csv')
      return toCsv(
        ASSET_COLUMNS,
        assets.map((a) => [a.id, a.type, a.name, a.nameEn, a.scene, a.district, JSON.stringify(a.geometry), JSON.stringify(a.attributes)]),
      );
    return JSON.stringify({
      type: 'FeatureCollection',
      features: assets.map((a) => ({
        type: 'Feature',
        geometry: a.geometry,
        properties: compact({
          id: a.id,
          type: a.type,
          name: a.name,
          nameEn: a.nameEn,
          scene: a.scene,
          district: a.district,
          attributes: a.attributes,
        }),
      })),
    });
  }

  // --- shared ------------------------------------------------------------------------------------

  /**
   * Writes in chunks of REGISTRY_WRITE_CHUNK, each atomic; `applied` is called per written record.
   * A chunk with a conflict (a concurrent edit) is retried without the conflicting records.
   */
  private async writeChunked(
    collection: RegistryCollection,
    writes: readonly RegistryWrite[],
    applied: (w: RegistryWrite) => void = () => undefined,
  ): Promise<{ id: string; currentVersion: number }[]> {
    const conflicts: { id: string; currentVersion: number }[] = [];
    for (let i = 0; i < writes.length; i += REGISTRY_WRITE_CHUNK) {
      let chunk = writes.slice(i, i + REGISTRY_WRITE_CHUNK);
      while (chunk.length > 0) {
        const r = await this.store.writeRegistry(collection, chunk);
        if (r.status === 'applied') {
          for (const w of chunk) applied(w);
          // the in-memory store answers without a turn of the loop: yield between chunks anyway
          await yieldToEventLoop();
          break;
        }
        conflicts.push(...r.conflicts);
        const bad = new Set(r.conflicts.map((c) => c.id));
        chunk = chunk.filter((w) => !bad.has(w.record.id));
      }
    }
    return conflicts;
  }
}

/** `items.map(f)`, yielding to the event loop every IMPORT_CHUNK_ROWS items (token hashing, diffs of a large import). */
async function mapInChunks<T, U>(items: readonly T[], f: (item: T) => U): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % IMPORT_CHUNK_ROWS === 0) await yieldToEventLoop();
    out.push(f(items[i]!));
  }
  return out;
}

/** A CSV cell as a number (NaN when it is not one, so validation names the column). */
function numberCell(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

/** A registry device as fusion runs it. */
export function toLiveDevice(d: RegistryDevice): Device {
  return compact<Device>({
    id: d.id,
    kind: d.kind,
    scene: d.scene,
    name: d.name,
    location: d.location,
    district: d.district,
    assetId: d.assetId,
    status: d.status,
    camera: d.camera,
  });
}

export type { RegistryRecord };
