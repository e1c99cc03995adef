/**
 * `mqtt-connections`: N MQTT device connections (CONNECT authenticated with each device's demo
 * token) held on one server's embedded broker. Measures the CONNECT rate achieved (all publisher
 * processes connecting at once, each ramping at its share of `connectionsRatePerS`), the server's
 * heap (after a full GC) and RSS per connection over its idle baseline with the same registry, and
 * the disconnects over a hold period with keepalive pings running.
 */
import { execSync } from 'node:child_process';
import type { BenchChild } from './child-rpc';
import type { MqttConnectResult, MqttPublisherOptions } from './mqtt-publisher-process';
import { raisedConnectLimits, type MqttBenchContext } from './mqtt-bench';
import { MQTT_FULL, MQTT_QUICK } from './mqtt-search';
import { round } from './stats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SAMPLE_EVERY_MS = 5_000;

interface LinkStats {
  links: number;
  connected: number;
  disconnects: number;
}

/** Descriptors the server needs besides its device connections (Redis, screens, logs, node internals). */
const FD_HEADROOM = 1_000;

function openFilesLimit(): number {
  try {
    const n = Number(execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY; // "unlimited" or no shell: no cap
  }
}

export async function measureMqttConnections(ctx: MqttBenchContext): Promise<void> {
  const M = ctx.quick ? MQTT_QUICK : MQTT_FULL;
  // the server holds one descriptor per connection: below the open-files limit (20,000 on the
  // project's machines, not raisable without privileges) the target is capped, and the JSON says so
  const fdLimit = openFilesLimit();
  const n = Math.min(M.connections, fdLimit - FD_HEADROOM);
  if (n < M.connections)
    console.log(`bench: mqtt-connections capped at ${n} (open-files limit ${fdLimit}; raise it with \`ulimit -n 65536\` for ${M.connections})`);
  ctx.set('mqtt_connections_fd_limit', fdLimit);
  const server = await ctx.startServer('server-mqtt-conns', {
    store: ctx.store,
    devices: n,
    coalesceIntervalMs: 250,
    config: { mqttPort: 0, mqttPortExplicit: true, ...raisedConnectLimits() },
  });
  const url = `mqtt://127.0.0.1:${server.info.mqttPort}`;
  await sleep(2_000);
  const heap0 = await server.call<number | null>('gcHeap');
  const rss0 = (await server.call<{ rssBytes: number }>('stats')).rssBytes;
  const per = Math.ceil(n / M.connectionProcesses);
  const pubs: BenchChild[] = await Promise.all(
    Array.from({ length: M.connectionProcesses }, (_, i) =>
      ctx.spawn(`mqtt-conns-${i + 1}`, 'mqtt-publisher-process.ts', {
        url,
        auth: 'connection',
        fleetCount: n,
        fleetSeed: ctx.P.fleetSeed,
        loadFrom: i * per,
        loadTo: Math.min(n, (i + 1) * per),
        probeDeviceIds: [],
        commandDeviceIds: [],
        connectRatePerS: M.connectionsRatePerS / M.connectionProcesses,
        connectConcurrency: M.connectConcurrency,
        keepaliveS: M.keepaliveS,
        maxInflightPerConnection: 1,
      } satisfies MqttPublisherOptions),
    ),
  );
  const cpuDone = await ctx.cpuWindow([server, ...pubs]);
  const t0 = performance.now();
  const results = await Promise.all(pubs.map((p) => p.call<MqttConnectResult>('connect', undefined, 600_000)));
  const connectMs = performance.now() - t0;
  ctx.cpuByPhase.mqtt_connect = await cpuDone();
  const connected = results.reduce((a, r) => a + r.connected, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  const connectRate = round((connected / connectMs) * 1000, 0);
  ctx.log(
    `mqtt-connections: ${connected}/${n} connected in ${Math.round(connectMs)} ms (${connectRate}/s), ${failed} failed ${results.flatMap((r) => r.errors).join('; ')}`,
  );

  // hold: keepalive pings run (keepalive < hold), nothing else; disconnects counted by the devices
  const holdCpu = await ctx.cpuWindow([server]);
  const samples: { tMs: number; connected: number; disconnects: number; rssBytes: number }[] = [];
  const h0 = performance.now();
  while (performance.now() - h0 < M.holdMs) {
    await sleep(Math.min(SAMPLE_EVERY_MS, M.holdMs - (performance.now() - h0)));
    const st = await Promise.all(pubs.map((p) => p.call<LinkStats>('stats')));
    samples.push({
      tMs: Math.round(performance.now() - h0),
      connected: st.reduce((a, s) => a + s.connected, 0),
      disconnects: st.reduce((a, s) => a + s.disconnects, 0),
      rssBytes: (await server.call<{ rssBytes: number }>('stats')).rssBytes,
    });
  }
  ctx.cpuByPhase.mqtt_hold = await holdCpu();
  const heap1 = await server.call<number | null>('gcHeap');
  const rss1 = (await server.call<{ rssBytes: number }>('stats')).rssBytes;
  const last = samples[samples.length - 1];
  await ctx.stopAll([...pubs, server]);

  const heapPer = heap0 !== null && heap1 !== null && connected ? round((heap1 - heap0) / connected, 0) : null;
  const rssPer = connected ? round((rss1 - rss0) / connected, 0) : null;
  ctx.set('mqtt_connections', connected);
  ctx.set('mqtt_connections_target', n);
  ctx.set('mqtt_connections_failed', failed);
  ctx.set('mqtt_connect_per_s', connectRate);
  ctx.set('mqtt_connect_target_per_s', M.connectionsRatePerS);
  ctx.set('mqtt_heap_bytes_per_connection', heapPer, 'the server runs without --expose-gc');
  ctx.set('mqtt_rss_bytes_per_connection', rssPer);
  ctx.set('mqtt_connections_server_baseline', { heapBytes: heap0, rssBytes: rss0 });
  ctx.set('mqtt_connections_server_held', { heapBytes: heap1, rssBytes: rss1 });
  ctx.set('mqtt_hold_ms', M.holdMs);
  ctx.set('mqtt_hold_disconnects', last?.disconnects ?? null);
  ctx.set('mqtt_hold_samples', samples);
  ctx.rows.push(
    {
      figure: `MQTT connections held ${Math.round(M.holdMs / 1000)} s (embedded broker)`,
      value: last?.connected ?? null,
      unit: 'connections',
      peer: 'target',
      peerValue: n,
      ratio: null,
      goal: `${n}, 0 disconnects (${last?.disconnects ?? '?'})`,
    },
    { figure: '  server heap per MQTT connection', value: heapPer, unit: 'B', peer: 'RSS per connection', peerValue: rssPer, ratio: null, goal: '—' },
    {
      figure: '  CONNECT rate (authenticated)',
      value: connectRate,
      unit: 'connects/s',
      peer: 'offered',
      peerValue: M.connectionsRatePerS,
      ratio: ratio2(connectRate, M.connectionsRatePerS),
      goal: '—',
    },
  );
}

function ratio2(a: number | null, b: number): number | null {
  return a === null ? null : round(a / b, 3);
}
