/**
 * Registry import benchmark (issue 11): a CSV of N devices through `POST /api/devices/import` on
 * a Redis-backed server (parse, validate, credentials, chunked compare-and-set writes, devices
 * live in fusion), against peers measured in the same run on the same Redis:
 * - `store`: `RedisStore.writeRegistry` of the same records in chunks of REGISTRY_WRITE_CHUNK
 *   (the store write path alone: one Lua call per chunk, history and credential included);
 * - `hset`: a raw ioredis pipeline of HSETs of the same record JSON (no history, no version check).
 * The peers' records are built before their clock starts; the import's clock covers the request.
 */
import { Redis } from 'ioredis';
import { generateFleet } from '../scenes/fleet';
import { hashDeviceToken, newDeviceToken } from '../server/device-token';
import { DEVICE_COLUMNS, type RegistryDevice } from '../server/registry/registry-schemas';
import { toCsv } from '../server/registry/import-format';
import { RedisStore } from '../server/store/redis-store';
import { REGISTRY_WRITE_CHUNK, type RegistryWrite } from '../server/store/store';

export interface ImportBenchDeps {
  /** base URL of a City IOC server on Redis */
  url: string;
  /** admin session token */
  adminToken: string;
  redisUrl: string;
  fleetSeed: number;
  /** reset the server's event-loop delay histogram / read its max since, ms */
  resetLoopDelay: () => Promise<void>;
  loopDelayMaxMs: () => Promise<number>;
  log: (msg: string) => void;
}

export interface ImportBenchResult {
  devices: number;
  /** wall time of the import request, ms */
  importMs: number;
  importDevicesPerS: number;
  /** longest event-loop delay of the server during the import, ms */
  serverLoopDelayMaxMs: number;
  storeWriteMs: number;
  storeWriteDevicesPerS: number;
  hsetPipelineMs: number;
  hsetPipelineDevicesPerS: number;
  csvBytes: number;
}

/** Devices of the benchmark CSV: the demo fleet generator's kinds, places and assets, under fresh ids. */
function importFleet(n: number, seed: number, idPrefix: string): RegistryDevice[] {
  return generateFleet({ count: n, seed: seed + 1 }).map((d, i) => ({
    id: `${idPrefix}-${i}`,
    kind: d.kind,
    scene: d.scene,
    name: `${d.name} (导入)`,
    location: d.location,
    district: d.district,
    ...(d.assetId ? { assetId: d.assetId } : {}),
    installDate: '2026-03-01',
    vendor: 'Hikvision',
    model: `M-${i % 7}`,
    status: 'active',
    version: 1,
    maintenance: [],
    createdTs: 0,
    updatedTs: 0,
    updatedBy: 'bench',
  }));
}

/** The CSV an administrator would upload (with the district: the demo generator places some devices on district borders). */
function importCsv(devices: readonly RegistryDevice[]): string {
  return toCsv(
    DEVICE_COLUMNS,
    devices.map((d) => [d.id, d.kind, d.name, d.location[0], d.location[1], d.district, d.assetId, d.installDate, d.vendor, d.model, d.status]),
  );
}

/** What the registry writes per created device: the record, its history entry, its credential. */
function storeWrites(devices: readonly RegistryDevice[], ts: number): RegistryWrite[] {
  return devices.map((d) => {
    const record = { ...d, createdTs: ts, updatedTs: ts };
    return {
      record,
      expectedVersion: 0,
      change: { ts, actor: 'bench', action: 'import-create', version: 1, before: {}, after: { ...record } },
      credential: { deviceId: d.id, kind: 'secret', sha256: hashDeviceToken(newDeviceToken()), issuedTs: ts },
    };
  });
}

export async function measureImport(n: number, deps: ImportBenchDeps): Promise<ImportBenchResult> {
  const stamp = Date.now().toString(36);
  const devices = importFleet(n, deps.fleetSeed, `imp${stamp}`);
  const csv = importCsv(devices);

  await deps.resetLoopDelay();
  const t0 = performance.now();
  const r = await fetch(`${deps.url}/api/devices/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': 'text/csv' },
    body: csv,
  });
  const report = (await r.json()) as { created?: number; applied?: boolean; rejected?: unknown[]; error?: unknown };
  const importMs = performance.now() - t0;
  const loopMax = await deps.loopDelayMaxMs();
  if (r.status !== 200 || report.created !== n || report.applied !== true)
    throw new Error(
      `registry import of ${n}: HTTP ${r.status}, created ${report.created}, first problem ${JSON.stringify(report.error ?? report.rejected?.[0])}`,
    );

  // peers: the same records, another key prefix of the same Redis
  const peerPrefix = `benchregpeer${stamp}${n}`;
  const writes = storeWrites(importFleet(n, deps.fleetSeed, `peer${stamp}`), Date.now());
  const store = new RedisStore(deps.redisUrl, { prefix: peerPrefix });
  const s0 = performance.now();
  for (let i = 0; i < writes.length; i += REGISTRY_WRITE_CHUNK) {
    const outcome = await store.writeRegistry('device', writes.slice(i, i + REGISTRY_WRITE_CHUNK));
    if (outcome.status !== 'applied') throw new Error('registry peer: store write conflicted');
  }
  const storeWriteMs = performance.now() - s0;
  await store.close();

  const redis = new Redis(deps.redisUrl);
  const hsetRecords = writes.map((w) => [w.record.id, JSON.stringify(w.record), JSON.stringify(w.credential)] as const);
  const h0 = performance.now();
  for (let i = 0; i < hsetRecords.length; i += REGISTRY_WRITE_CHUNK) {
    const p = redis.pipeline();
    for (const [id, record, credential] of hsetRecords.slice(i, i + REGISTRY_WRITE_CHUNK)) {
      p.hset(`${peerPrefix}:hset:device`, id, record);
      p.hset(`${peerPrefix}:hset:cred`, id, credential);
    }
    await p.exec();
  }
  const hsetPipelineMs = performance.now() - h0;
  await redis.quit();

  const perS = (ms: number) => Math.round((n / ms) * 1000);
  deps.log(
    `registry: import of ${n} devices ${Math.round(importMs)} ms (${perS(importMs)}/s, server loop max ${Math.round(loopMax)} ms); ` +
      `store writes ${Math.round(storeWriteMs)} ms (${perS(storeWriteMs)}/s); HSET pipeline ${Math.round(hsetPipelineMs)} ms (${perS(hsetPipelineMs)}/s)`,
  );
  return {
    devices: n,
    importMs: Math.round(importMs),
    importDevicesPerS: perS(importMs),
    serverLoopDelayMaxMs: Math.round(loopMax),
    storeWriteMs: Math.round(storeWriteMs),
    storeWriteDevicesPerS: perS(storeWriteMs),
    hsetPipelineMs: Math.round(hsetPipelineMs),
    hsetPipelineDevicesPerS: perS(hsetPipelineMs),
    csvBytes: Buffer.byteLength(csv),
  };
}
