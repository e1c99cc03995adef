/**
 * Redis memory per key family (issue 10, defect #9): how many bytes the store needs per 10,000
 * incidents and per 10,000 devices, and which bound holds each family.
 *
 *   npx tsx bench/redis-memory.ts [--incidents 10000] [--devices 10000]
 *
 * Starts its own throwaway redis-server (tests/helpers), writes through RedisStore only:
 * - incidents: each created from an alert, then ~6 transitions (dispatch, accept, arrive, a note
 *   or two, resolve, close for 80 % of them); each with its alert raised, acknowledged (with a
 *   command id) and cleared; every write appends its event;
 * - devices: one state per device, and the readings the fleet sends at catalogue rates for one hour,
 *   or up to the readings stream cap (`readingsStreamMaxLen`) if that comes first;
 * - photos: a sample of blobs, to price the quota index per photo (the bytes themselves are bounded
 *   by `maxBlobBytesTotal`).
 * Then sums `MEMORY USAGE <key> SAMPLES 0` over every key, grouped by family, and prints a
 * Markdown table (the README's "Operations" section quotes it).
 */
import { Redis } from 'ioredis';
import { DEVICE_CATALOGUE } from '../scenes/catalogue';
import type { Alert, Incident, IncidentTransition, Reading } from '../scenes/domain';
import { generateFleet } from '../scenes/fleet';
import { RedisStore } from '../server/store/redis-store';
import { DEFAULT_STORE_OPTIONS, incidentEvent } from '../server/store/store';
import { startRedisServer } from '../tests/helpers/redis-server';

const HOUR_MS = 3_600_000;
const PER = 10_000;
/** lifecycles written concurrently (keeps the pipeline busy without one huge burst) */
const CONCURRENCY = 64;
/** readings per appendReadings call, like a gateway batch */
const READINGS_BATCH = 1_000;
/** photos written to price the quota index per photo */
const SAMPLE_PHOTOS = 1_000;
const SAMPLE_PHOTO_BYTES = 4_096;
/** keys per MEMORY USAGE pipeline */
const SCAN_CHUNK = 1_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const incidentCount = arg('incidents', PER);
const deviceCount = arg('devices', PER);
const prefix = 'mem';

/** Stable pseudo-random in [0, 1) so runs compare. */
function rand(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43_758.5453;
  return x - Math.floor(x);
}

const NOTE = '现场积水约 30 cm，已设置围挡，泵车到达后开始抽排；周边交通已疏导。Water ~30 cm, barriers set, pump truck on the way.';

function alertFor(i: number, ts: number): Alert {
  return {
    id: `wl-${i}|wl-depth|${ts}`,
    deviceId: `wl-${i}`,
    deviceKind: 'water-level',
    ruleId: 'wl-depth',
    scene: 'water',
    district: '370202',
    location: [120.38 + rand(i) / 10, 36.06 + rand(i + 1) / 10],
    level: 'orange',
    peakLevel: 'orange',
    cleared: false,
    acknowledged: false,
    firstTs: ts,
    lastTs: ts,
    count: 1,
    value: 31.5,
    metric: 'depth',
    title: '积水深度超限 — 香港中路下穿',
    titleEn: 'Water depth over limit at Xianggang Rd underpass',
  };
}

async function writeIncidentLifecycle(store: RedisStore, i: number, t0: number): Promise<void> {
  let ts = t0;
  let alert = alertFor(i, ts);
  await store.saveAlert(alert, { ts, type: 'alert.raised', scene: alert.scene, alert });
  const create: IncidentTransition = { action: 'create', from: null, to: 'reported', actor: 'system', ts, commandId: `c-${i}-0` };
  let incident: Incident = {
    id: `inc-${t0}-${i}`,
    version: 1,
    state: 'reported',
    priority: 'P2',
    level: 'orange',
    scene: 'water',
    category: 'waterlogging',
    title: '积水 — 香港中路下穿',
    titleEn: 'Waterlogging at Xianggang Rd underpass',
    district: '370202',
    location: alert.location,
    source: 'alert',
    alertIds: [alert.id],
    deviceId: alert.deviceId,
    assignees: [],
    escalated: false,
    createdTs: ts,
    updatedTs: ts,
    slaDueTs: ts + 4 * HOUR_MS,
    slaResponseDueTs: ts + HOUR_MS / 2,
    reportedBy: 'system',
    photos: [],
    history: [create],
  };
  await store.createIncident(incident, create.commandId);
  alert = { ...alert, acknowledged: true, ackTs: ts + 1, ackBy: 'officer01', incidentId: incident.id, lastTs: ts + 1 };
  await store.saveAlert(alert, { ts: ts + 1, type: 'alert.acked', scene: alert.scene, alert }, `ack-${i}`);

  const closes = rand(i + 7) < 0.8;
  const notes = Math.floor(rand(i + 3) * 3);
  const steps: [IncidentTransition['action'], Incident['state']][] = [
    ['dispatch', 'dispatched'],
    ['accept', 'accepted'],
    ['arrive', 'on_site'],
    ...Array.from({ length: notes }, (): [IncidentTransition['action'], Incident['state']] => ['note', 'on_site']),
    ['resolve', 'resolved'],
    ...(closes ? [['close', 'closed'] as [IncidentTransition['action'], Incident['state']]] : []),
  ];
  for (const [k, [action, to]] of steps.entries()) {
    ts += 60_000;
    const step: IncidentTransition = {
      action,
      from: incident.state,
      to,
      actor: action === 'dispatch' || action === 'close' ? 'officer01' : 'handler01',
      ts,
      commandId: `c-${i}-${k + 1}`,
      ...(action === 'note' || action === 'resolve' ? { note: NOTE } : {}),
      ...(action === 'dispatch' ? { assignees: ['handler01'] } : {}),
    };
    const next: Incident = {
      ...incident,
      version: incident.version + 1,
      state: to,
      updatedTs: ts,
      ...(action === 'dispatch' ? { assignees: ['handler01'] } : {}),
      ...(to === 'resolved' ? { resolvedTs: ts } : {}),
      ...(to === 'closed' ? { closedTs: ts } : {}),
      history: [...incident.history, step],
    };
    const outcome = await store.transitionIncident(next, incident.version, step.commandId);
    if (outcome.status !== 'applied') throw new Error(`transition ${step.commandId}: ${outcome.status}`);
    incident = next;
  }
  alert = { ...alert, cleared: true, clearedTs: ts, lastTs: ts };
  await store.saveAlert(alert, { ts, type: 'alert.cleared', scene: alert.scene, alert });
}

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** family name of a key: singletons by full name, records by their first segment */
const SINGLETONS = new Set([
  'readings',
  'events',
  'devstate',
  'devstate:cursor',
  'incidents:open',
  'incidents:closed',
  'alerts:open',
  'alerts:recent',
  'blobs:expiry',
  'blobs:size',
  'blobs:bytes',
  'users',
]);
function familyOf(key: string): string {
  const name = key.slice(prefix.length + 1);
  if (SINGLETONS.has(name)) return name;
  return `${name.slice(0, name.indexOf(':'))}:*`;
}

async function bytesByFamily(raw: Redis): Promise<Map<string, { keys: number; bytes: number }>> {
  const out = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [nextCursor, keys] = await raw.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', SCAN_CHUNK);
    cursor = nextCursor;
    const pipe = raw.pipeline();
    for (const key of keys) pipe.memory('USAGE', key, 'SAMPLES', 0);
    const results = (await pipe.exec()) ?? [];
    keys.forEach((key, i) => {
      const family = familyOf(key);
      const entry = out.get(family) ?? { keys: 0, bytes: 0 };
      entry.keys += 1;
      entry.bytes += Number(results[i]?.[1] ?? 0);
      out.set(family, entry);
    });
  } while (cursor !== '0');
  return out;
}

function fmtBytes(n: number): string {
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

const BOUNDS: Record<string, string> = {
  'incident:*': 'open: until closed; closed: `closedRetentionMs` (184 d) TTL',
  'incidents:open': 'open incidents',
  'incidents:closed': 'trimmed by `housekeep` after `closedRetentionMs`',
  'alert:*': 'open: until cleared + acked; then `closedRetentionMs` TTL',
  'alerts:open': 'open alerts',
  'alerts:recent': 'trimmed by `housekeep` after `closedRetentionMs`',
  'cmd:*': '`commandTtlMs` (7 d) TTL',
  'ackcmd:*': '`commandTtlMs` (7 d) TTL',
  events: '`MAXLEN ~ eventsStreamMaxLen` (200k)',
  readings: '`MAXLEN ~ readingsStreamMaxLen` (500k)',
  'batch:*': '`batchIdTtlMs` (24 h) TTL',
  devstate: 'one field per device',
  'devstate:cursor': 'one key',
  'blob:*': '`blobRetentionMs` (184 d) TTL, `maxBlobBytesTotal` (2 GiB) quota',
  'blobs:expiry': 'one entry per unexpired blob',
  'blobs:size': 'one entry per unexpired blob',
  'blobs:bytes': 'one key',
  'user:*': 'accounts',
  users: 'accounts',
};

async function main(): Promise<void> {
  const server = await startRedisServer();
  if (server === null) throw new Error('redis-server not found');
  const raw = new Redis(server.url);
  const store = new RedisStore(server.url, { prefix });
  try {
    const t0 = Date.now() - 30 * 24 * HOUR_MS;
    const startedMs = Date.now();
    await inParallel(incidentCount, (i) => writeIncidentLifecycle(store, i, t0 + i * 1_000));
    const incidentFamilies = await bytesByFamily(raw);
    const incidentSecs = (Date.now() - startedMs) / 1000;

    // --- devices: states + one hour of readings at catalogue rates (or up to the stream cap)
    const fleet = generateFleet({ count: deviceCount });
    const readingsPerHour = fleet.reduce((sum, d) => sum + HOUR_MS / DEVICE_CATALOGUE[d.kind].intervalMs, 0);
    const readingsToWrite = Math.min(Math.round(readingsPerHour), DEFAULT_STORE_OPTIONS.readingsStreamMaxLen);
    const now = Date.now();
    let batch: Reading[] = [];
    let batches = 0;
    const seqOf = new Map<string, number>();
    for (let n = 0; n < readingsToWrite; n++) {
      const device = fleet[n % fleet.length]!;
      const seq = (seqOf.get(device.id) ?? 0) + 1;
      seqOf.set(device.id, seq);
      const metrics: Record<string, number> = {};
      for (const m of DEVICE_CATALOGUE[device.kind].metrics) metrics[m.name] = Math.round(rand(n + m.name.length) * 1000) / 10;
      batch.push({ deviceId: device.id, ts: now - HOUR_MS + Math.floor((n / readingsToWrite) * HOUR_MS), seq, metrics });
      if (batch.length === READINGS_BATCH) {
        await store.appendReadings(batch, `gw-1:${batches++}`);
        batch = [];
      }
    }
    if (batch.length > 0) await store.appendReadings(batch, `gw-1:${batches++}`);
    const states = fleet.map((d) => ({
      deviceId: d.id,
      online: true,
      lastTs: now,
      lastSeq: seqOf.get(d.id) ?? 0,
      metrics: Object.fromEntries(DEVICE_CATALOGUE[d.kind].metrics.map((m) => [m.name, 12.3])),
    }));
    await store.saveDeviceStates(states, await store.readingsCursor());

    for (let p = 0; p < SAMPLE_PHOTOS; p++) await store.putBlob(`photo-${p}`, 'image/jpeg', Buffer.alloc(SAMPLE_PHOTO_BYTES, p % 251));
    const all = await bytesByFamily(raw);

    // --- event size: full incident copy (before) vs transition only (now), for a long history
    const longHistory = await store.getIncident(`inc-${t0}-0`);
    const sizes = [6, 184].map((transitions) => {
      const base = longHistory!;
      const history = Array.from({ length: transitions }, (_, k) => ({ ...base.history[Math.min(k, base.history.length - 1)]!, note: NOTE }));
      const incident = { ...base, history };
      const before = JSON.stringify({ ts: 0, type: 'incident.transition', scene: 'water', incident });
      const after = JSON.stringify(incidentEvent(incident, 'incident.transition'));
      return { transitions, before: Buffer.byteLength(before), after: Buffer.byteLength(after) };
    });

    const info = await raw.info('memory');
    const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);

    const rows: string[] = [];
    rows.push('| key family | keys | bytes | per 10k incidents | per 10k devices | bound |');
    rows.push('| --- | ---: | ---: | ---: | ---: | --- |');
    const deviceFamilies = new Set(['readings', 'batch:*', 'devstate', 'devstate:cursor']);
    const photoFamilies = new Set(['blob:*', 'blobs:expiry', 'blobs:size', 'blobs:bytes']);
    const families = [...all.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
    let incidentTotal = 0;
    let deviceTotal = 0;
    const cap = DEFAULT_STORE_OPTIONS.readingsStreamMaxLen;
    const readingsPerHourPer10k = (readingsPerHour * PER) / deviceCount;
    const bytesPerReading = (all.get('readings')?.bytes ?? 0) / readingsToWrite;
    const bytesPerBatchKey = (all.get('batch:*')?.bytes ?? 0) / Math.max(1, all.get('batch:*')?.keys ?? 1);
    /** de-duplication keys alive at once: one per 1,000-reading batch over `batchIdTtlMs` */
    const batchKeysPer10k = (readingsPerHourPer10k / READINGS_BATCH) * (DEFAULT_STORE_OPTIONS.batchIdTtlMs / HOUR_MS);
    const perDevices = (family: string, bytes: number): string => {
      if (family === 'readings')
        return `${fmtBytes(bytesPerReading * cap)} at the cap (= ${((cap / readingsPerHourPer10k) * 60).toFixed(0)} min of 10k devices)`;
      if (family === 'batch:*') return `${fmtBytes(bytesPerBatchKey * batchKeysPer10k)} (${Math.round(batchKeysPer10k)} batches of 1,000 in 24 h)`;
      return fmtBytes((bytes * PER) / deviceCount);
    };
    for (const [family, { keys, bytes }] of families) {
      const incidentBytes = photoFamilies.has(family) || deviceFamilies.has(family) ? null : (incidentFamilies.get(family)?.bytes ?? bytes);
      const deviceBytes = deviceFamilies.has(family) ? bytes : null;
      if (incidentBytes !== null) incidentTotal += incidentBytes;
      if (deviceBytes !== null) deviceTotal += deviceBytes;
      rows.push(
        `| \`${family}\` | ${keys} | ${fmtBytes(bytes)} | ${incidentBytes === null ? '—' : fmtBytes((incidentBytes * PER) / incidentCount)} | ${
          deviceBytes === null ? '—' : perDevices(family, deviceBytes)
        } | ${BOUNDS[family] ?? '?'} |`,
      );
    }
    const photoIndex = ['blobs:expiry', 'blobs:size'].reduce((s, f) => s + (all.get(f)?.bytes ?? 0), 0);
    const blobOverhead = (all.get('blob:*')?.bytes ?? 0) / SAMPLE_PHOTOS - SAMPLE_PHOTO_BYTES;

    console.log(`\n# Redis memory by key family (${new Date().toISOString().slice(0, 10)}, \`npx tsx bench/redis-memory.ts\`)\n`);
    console.log(
      `${incidentCount} incidents (≈ 6 transitions, 0–2 notes, 80 % closed) with their alerts and events in ${incidentSecs.toFixed(1)} s; ` +
        `${deviceCount} devices (catalogue rates: ${Math.round(readingsPerHour)} readings/h; ${readingsToWrite} written, ` +
        `the stream cap holds ${((DEFAULT_STORE_OPTIONS.readingsStreamMaxLen / readingsPerHour) * 60).toFixed(0)} min of them); ${SAMPLE_PHOTOS} photos of ${SAMPLE_PHOTO_BYTES} B.\n`,
    );
    console.log(rows.join('\n'));
    console.log(
      `\nTotal per 10k incidents ≈ ${fmtBytes((incidentTotal * PER) / incidentCount)}; devices' state per 10k devices ≈ ${fmtBytes(((all.get('devstate')?.bytes ?? 0) * PER) / deviceCount)}; `,
    );
    console.log(
      `readings stream at its cap (${DEFAULT_STORE_OPTIONS.readingsStreamMaxLen}) ≈ ${fmtBytes(((all.get('readings')?.bytes ?? 0) / readingsToWrite) * DEFAULT_STORE_OPTIONS.readingsStreamMaxLen)} ` +
        `(${((all.get('readings')?.bytes ?? 0) / readingsToWrite).toFixed(0)} B per reading); ` +
        `per photo: ${fmtBytes(blobOverhead)} over its bytes plus ${fmtBytes(photoIndex / SAMPLE_PHOTOS)} of quota index. INFO used_memory: ${fmtBytes(usedMemory)}.`,
    );
    console.log(`Device families as written here (state + ${readingsToWrite} readings + batch ids) ≈ ${fmtBytes(deviceTotal)}.`);
    console.log('\nincident.transition event size, full copy (before) → transition only (now):');
    for (const s of sizes) console.log(`- ${s.transitions} transitions: ${s.before} B → ${s.after} B`);
  } finally {
    await store.close();
    raw.disconnect();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
