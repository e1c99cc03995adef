/**
 * Which devices the simulator reports for, read from the server's registry (not regenerated from a
 * seed): every active or maintenance device whose credential the simulator holds —
 *  - a seeded demo device: its HMAC demo token, which the server answers to an administrator;
 *  - a device whose token is in the simulator's token file (adopted with `--adopt`, or registered
 *    by the simulator's own `--devices N` import).
 * Other devices (real ones in the field, with tokens only they know) are left alone.
 *
 * `load()` is called at start and periodically: new devices start reporting, retired ones stop.
 */
import type { Asset, Device } from '../scenes/domain';
import { generateFleet } from '../scenes/fleet';
import { QINGDAO_ASSETS, QINGDAO_RESOURCES } from '../scenes/city/qingdao';
import { sceneAssetOf } from '../server/fusion/asset-book';
import type { RegistryAsset } from '../server/registry/registry-schemas';
import {
  assetsGeoJson,
  DEMO_TOKEN_BATCH,
  devicesCsv,
  liveFleetOf,
  RegistryClientError,
  type RegistryAssetRecord,
  type RegistryClient,
} from './registry-client';
import { readSimTokens, saveSimTokens } from './sim-tokens';

export interface SimulatedFleet {
  /** devices to report for, sorted by id */
  fleet: Device[];
  /** the registry's assets (signals follow e.g. a river's own warning level) */
  assets: Asset[];
  /** the token of every device in `fleet` */
  tokens: ReadonlyMap<string, string>;
  /** live devices left out: the simulator holds no token for them */
  withoutToken: string[];
}

export interface RegistryFleetSourceOptions {
  tokensFile: string;
  log?: (line: string) => void;
}

/** The registry's assets as the simulator's signals take them (retired and resource records left out). */
export function simulatedAssetsOf(records: readonly RegistryAssetRecord[]): Asset[] {
  const out: Asset[] = [];
  for (const r of records) {
    const a = sceneAssetOf(r as unknown as RegistryAsset);
    if (a.kind === 'asset') out.push(a.asset);
  }
  return out;
}

export class RegistryFleetSource {
  /** demo tokens answered by the server; null: the device has its own token (asked once) */
  private readonly demoTokens = new Map<string, string | null>();
  private readonly log: (line: string) => void;
  private lastWithoutToken = -1;

  constructor(
    private readonly client: RegistryClient,
    private readonly opts: RegistryFleetSourceOptions,
  ) {
    this.log = opts.log ?? ((l) => console.log(l));
  }

  /** The server refused a device's token (rotated or retired meanwhile): ask again at the next load. */
  forgetToken(deviceId: string): void {
    this.demoTokens.delete(deviceId);
  }

  async load(): Promise<SimulatedFleet> {
    const [records, assetRecords, held] = await Promise.all([
      this.client.listDevices(),
      this.client.listAssets(),
      readSimTokens(this.opts.tokensFile),
    ]);
    const live = liveFleetOf(records);
    const unknown = live.filter((d) => !held.has(d.id) && !this.demoTokens.has(d.id)).map((d) => d.id);
    await this.askDemoTokens(unknown);
    const fleet: Device[] = [];
    const tokens = new Map<string, string>();
    const withoutToken: string[] = [];
    for (const d of live) {
      const token = held.get(d.id) ?? this.demoTokens.get(d.id);
      if (token) {
        fleet.push(d);
        tokens.set(d.id, token);
      } else withoutToken.push(d.id);
    }
    if (withoutToken.length > 0 && withoutToken.length !== this.lastWithoutToken)
      this.log(
        `[devices] ${withoutToken.length} registered devices have their own token and are not simulated (e.g. ${withoutToken[0]}); ` +
          `'npm run devices -- --adopt <id>' hands one to the simulator (its current token stops working)`,
      );
    this.lastWithoutToken = withoutToken.length;
    return { fleet, assets: simulatedAssetsOf(assetRecords), tokens, withoutToken };
  }

  /** Asks in bulk (one call — and one audit record — per DEMO_TOKEN_BATCH ids); an id not answered has its own token. */
  private async askDemoTokens(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += DEMO_TOKEN_BATCH) {
      const batch = ids.slice(i, i + DEMO_TOKEN_BATCH);
      const tokens = await this.client.demoTokens(batch);
      for (const id of batch) this.demoTokens.set(id, tokens.get(id) ?? null);
    }
  }
}

/**
 * `--devices N` on an empty registry: registers the first N devices of the demo fleet through the
 * CSV import (and, when the registry lacks them, the demo assets first), keeping the tokens the
 * import answers in the token file. A registry that already has devices is left as it is.
 * Returns how many devices were registered.
 */
export async function registerDemoDevices(
  client: RegistryClient,
  opts: { count: number; seed: number; tokensFile: string; log?: (line: string) => void },
): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if ((await client.listDevices()).length > 0) return 0;
  const fleet = generateFleet({ count: opts.count, seed: opts.seed });
  const have = new Set((await client.listAssets()).map((a) => a.id));
  const needed = new Set(fleet.flatMap((d) => (d.assetId === undefined ? [] : [d.assetId])));
  if ([...needed].some((id) => !have.has(id))) {
    const missing = <T extends { id: string }>(xs: readonly T[]): T[] => xs.filter((x) => !have.has(x.id));
    const r = await client.importAssetsGeoJson(assetsGeoJson(missing(QINGDAO_ASSETS), missing(QINGDAO_RESOURCES)));
    if (!r.applied) throw new RegistryClientError('E_VALIDATION', `demo assets refused: ${JSON.stringify(r.rejected.slice(0, 3))}`);
    log(`[devices] registered ${r.created} demo assets`);
  }
  const report = await client.importDevicesCsv(devicesCsv(fleet));
  if (!report.applied) throw new RegistryClientError('E_VALIDATION', `demo devices refused: ${JSON.stringify(report.rejected.slice(0, 3))}`);
  await saveSimTokens(opts.tokensFile, new Map((report.tokens ?? []).map((t) => [t.deviceId, t.token])));
  log(`[devices] registered ${report.created} demo devices through the import API; their tokens are in ${opts.tokensFile}`);
  return report.created;
}

/** `--adopt <id>`: rotates the device's token and keeps the new one in the token file. */
export async function adoptDevice(client: RegistryClient, deviceId: string, tokensFile: string): Promise<void> {
  const token = await client.rotateToken(deviceId);
  await saveSimTokens(tokensFile, new Map([[deviceId, token]]));
}
