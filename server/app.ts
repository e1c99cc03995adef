/**
 * Wires the City IOC server: store → fusion → ingest/commands → scene hub → HTTP + Socket.IO.
 * `startIocServer` is used by `server/main.ts`, the end-to-end tests and the benchmarks.
 */
// first: the MQTT codec's per-packet debug loggers are no-ops unless DEBUG asks (mqtt/quiet-debug.ts)
import './mqtt/quiet-debug';
import { createServer, type Server as HttpServer } from 'node:http';
import { createIocSocketParser } from './socket-encoder';
import { EntryGuard, sourceOf } from './guard';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import type { Device } from '../scenes/domain';
import { generateControlDevices, generateFleet } from '../scenes/fleet';
import { QINGDAO_ASSETS, QINGDAO_RESOURCES, QINGDAO_RULE_OVERRIDES } from '../scenes/city/qingdao';
import { QINGDAO_CAMERAS } from '../scenes/city/qingdao-cameras';
import { TokenService } from './auth/tokens';
import { SessionService } from './auth/sessions';
import { MemorySessionBackend, type SessionBackend } from './auth/session-store';
import { RedisSessionBackend } from './auth/session-store-redis';
import { isUsableAdmin, type DemoAccount } from './auth/accounts';
import { loginPolicyOf } from './auth/login-policy';
import { UserService } from './auth/users';
import { CommandService } from './commands';
import type { ServerConfig } from './config';
import { DeviceTokenVerifier } from './device-token';
import { DEFAULT_FUSION_OPTIONS, Fusion, type AlertChangeRecord } from './fusion';
import { createHttpApp } from './http';
import { historyReportSource } from './reports/report-source';
import { IngestService } from './ingest';
import { RollupAccumulator } from './rollups/rollup-accumulator';
import { RollupFlusher } from './rollups/rollup-flusher';
import { rollupStoreFor } from './store/rollup-store';
import { IngestSpool, type SpooledBatch } from './ingest-spool';
import { createLogger, type Logger } from './logger';
import { createMetrics, RateMeter } from './metrics';
import { Realtime } from './realtime';
import { MemoryStore } from './store/memory-store';
import { DeviceRegistry } from './registry/device-registry';
import { RuleRegistry } from './registry/rule-registry';
import { openStore } from './store/open-store';
import type { Store } from './store/store';
import type { RedisStore } from './store/redis-store';
import { AuditLog } from './audit/audit-log';
import { MemoryAuditBackend } from './audit/audit-backend';
import { RedisAuditBackend } from './audit/redis-audit-backend';
import { closeDefaultNamespace } from './security/default-namespace';
import { MetricsAccess } from './security/metrics-access';
import { OriginPolicy } from './security/origin-policy';
import { assertProductionReady } from './security/startup-checks';
import { startMqtt, type MqttEndpoint } from './mqtt/mqtt-endpoint';
import { DeviceCommandService } from './device-control/device-command-service';
import { MQTT_VERDICTS } from './mqtt/payloads';
import { startAreaWarnings, type AreaWarnings } from './storm/start-area-warnings';
import { startPlans } from './plans/start-plans';
import { startHistory, type StartedHistory } from './history/start-history';
import { NO_DEMO_PAST, startDemoPast, type StartedDemoPast } from './demo-past/start-demo-past';
import type { PlanService } from './plans/plan-service';
import { startNotifications } from './notify/start-notifications';
import type { NotificationService } from './notify/notification-service';
import { resolveNodeId } from './cluster/node-identity';
import { SERVER_VERSION } from './cluster/node-info';
import { startClusterNode, type ClusterNode } from './cluster/start-cluster';
import type { LogFollower } from './cluster/log-follower';
import { createNodeFollower } from './cluster/node-follower';
import { NodeReadiness, actingOnceStarted } from './cluster/node-readiness';
import { startNodeTimers } from './node-timers';
import { startHandlerRosterSync } from './handler-roster-sync';
import { createClusterAdapter, createPubSubAdapter } from './cluster/socket-adapter';
import { ApiKeyService } from './exports/api-keys';
import { apiKeyStoreFor } from './store/api-key-store';
import { ResourceService } from './resources/resource-service';
import { resourceAssignStoreFor } from './store/resource-assign-store';
import { startReportSchedules, type StartedReportSchedules } from './report-schedules/start-report-schedules';
import { shutdownInOrder } from './shutdown';

export interface IocServer {
  url: string;
  port: number;
  store: Store;
  storeReason?: string;
  fusion: Fusion;
  realtime: Realtime;
  /** session records and revocation (server/auth/sessions.ts) */
  sessions: SessionService;
  ingest: IngestService;
  commands: CommandService;
  /** commands to devices (server/device-control/) */
  deviceControl: DeviceCommandService;
  /** contingency plans (server/plans/): triggers, instances, commands */
  plans: PlanService;
  /** notifications beyond the open page: Web Push, webhooks, the ladder and re-notify (server/notify/) */
  notifications: NotificationService;
  registry: DeviceRegistry;
  /** the tamper-evident audit log (server/audit/) */
  audit: AuditLog;
  /** area warnings (issue 14, server/storm/): the rules in force and the warnings computed from the alerts */
  areaWarnings: AreaWarnings;
  /** port of the embedded MQTT broker (server/mqtt/); null: no broker (off, external mode, or the default port was busy) */
  mqttPort: number | null;
  /** devices over MQTT (embedded broker or client of an external one); null: off */
  mqtt: MqttEndpoint | null;
  demoAccounts: DemoAccount[];
  log: Logger;
  http: HttpServer;
  io: IoServer;
  /** issue 15: this node in the cluster (leases, revision lane, node list); a single node holds every lease */
  cluster: ClusterNode;
  /** issue 15: applies what other nodes accepted; null with the in-memory store (one node) */
  follower: LogFollower | null;
  /** the long history (issue 16, server/history/): archive, feeder, search */
  history: StartedHistory;
  /** the demo's past (issue 16, server/demo-past/): written in the background on a store just seeded with the demo fleet */
  demoPast: StartedDemoPast;
  /** scheduled reports (issue 16, server/report-schedules/): schedules, the leased ticker, delivery */
  reportSchedules: StartedReportSchedules;
  close(): Promise<void>;
}

export interface StartOptions {
  /** use this store instead of opening one from config (tests) */
  store?: Store;
  /** the device registry; default: the demo fleet from config */
  devices?: Device[];
  logger?: Logger;
  /**
   * where session records live; default: Redis beside a Redis store, else in this process. A test
   * that restarts a memory-store server passes one backend to both starts so sessions survive.
   */
  sessionBackend?: SessionBackend;
  /** extra allowed browser origins (added to config.allowedOrigins: sockets and REST) */
  corsOrigins?: string[];
  /** this node's id (issue 15); default IOC_NODE_ID, else `<host>-<port>-<random>` (server/cluster/node-identity.ts) */
  nodeId?: string;
}

const ALERT_RETENTION_MS = 24 * 3600_000;
const TICK_INTERVAL_MS = 1000;
/** Latest device states are written this often (restart recovery; every reading is in the stream anyway). */
const STATE_FLUSH_INTERVAL_MS = 2000;
/** Device states per store call: a flush of 100k states is many short calls, not one long stall. */
const STATE_FLUSH_CHUNK = 2000;
/** Idle keep-alive connections stay open this long, ms (longer than a gateway's reporting interval). */
const HTTP_KEEP_ALIVE_MS = 65_000;
const READINGS_RATE_WINDOW_S = 10;
const STORE_WARN_INTERVAL_MS = 10_000;
const DEFERRED_FLUSH_INTERVAL_MS = 1000;
/** Readings per store call while replaying the stream after the device states' cursor at start. */
const RECOVERY_PAGE_READINGS = 10_000;
/** How long a node waits for the cluster fan-out's Redis connections before it says so, ms. */
const CLUSTER_CONNECT_TIMEOUT_MS = 10_000;
/** How long start-up waits to catch up with the shared log before returning (not ready meanwhile), ms. */
const CLUSTER_CATCH_UP_WAIT_MS = 30_000;
const STARTING_UP_POLL_MS = 100;
/** What a node answers while it catches up at start: its health and metrics. */
const STARTING_UP_ROUTES = new Set(['/healthz', '/metrics']);

export async function startIocServer(config: ServerConfig, options: StartOptions = {}): Promise<IocServer> {
  const log = options.logger ?? createLogger(config.logLevel);
  const startedTs = Date.now();
  // a store handed in already tags what it appends: the node follows the shared log as that id,
  // or it would read back and re-apply every reading it wrote itself as another node's
  const nodeId = options.nodeId ?? options.store?.nodeId ?? resolveNodeId(process.env, config.port);
  if (options.store && options.store.nodeId !== nodeId)
    throw new Error(`startIocServer: nodeId '${nodeId}' differs from the given store's '${options.store.nodeId}' (StoreOptions.nodeId)`);

  // --- store ------------------------------------------------------------------------------------
  let store: Store;
  let storeReason: string | undefined;
  const storeOptions = {
    prefix: config.redisPrefix,
    closedRetentionMs: config.closedRetentionMs,
    blobRetentionMs: config.photoRetentionMs,
    maxBlobBytesTotal: config.maxPhotoBytesTotal,
    commandTtlMs: config.commandTtlMs,
    // every entry this node appends to the shared log is tagged with it (issue 15)
    nodeId,
  };
  if (options.store) store = options.store;
  else if (config.storeMode === 'memory') {
    store = new MemoryStore(storeOptions);
    storeReason = 'IOC_STORE=memory';
  } else {
    const opened = await openStore({ redisUrl: config.redisUrl, options: storeOptions, logger: log, commandTimeoutMs: config.storeCommandTimeoutMs });
    if (opened.kind === 'memory' && config.storeMode === 'redis') {
      await opened.store.close();
      throw new Error(`IOC_STORE=redis but ${opened.reason ?? 'Redis is unreachable'}`);
    }
    store = opened.store;
    storeReason = opened.reason;
  }
  if (store.kind === 'redis') log.info({ store: 'redis', redisUrl: config.redisUrl.replace(/\/\/[^@]*@/, '//***@') }, 'store: Redis');
  else log.warn({ store: 'memory', reason: storeReason }, 'store: IN-MEMORY — data is lost on restart');
  // production refuses demo accounts and a password-less Redis (a StartupRefusal: main.ts exits 2)
  try {
    await assertProductionReady(config, store);
  } catch (err) {
    if (!options.store) await store.close().catch(() => undefined);
    throw err;
  }

  // --- audit (issue 12): the hash chain beside the store, under its own `<prefix>-audit:*` keys in
  // Redis; anchored to a file only for Redis (an in-memory chain is gone with the process)
  const audit = new AuditLog(
    store.kind === 'redis' ? new RedisAuditBackend((store as RedisStore).redisClient, (store as RedisStore).keyPrefix) : new MemoryAuditBackend(),
    {
      key: config.auditKey,
      anchorFile: store.kind === 'redis' ? config.auditAnchorFile : null,
      anchorIntervalMs: config.auditAnchorIntervalMs,
      log,
    },
  );

  // --- cluster (issue 15, server/cluster/): leases of the acting timers, the revision lane, the node list
  const redisOfStore =
    store.kind === 'redis' && config.cluster ? { client: (store as RedisStore).redisClient, keyPrefix: `${(store as RedisStore).keyPrefix}:` } : null;
  const readiness = new NodeReadiness();
  let serverUrl = '';
  let realtimeRef: Realtime | null = null;
  const isReady = (): boolean => readiness.isReady();
  const cluster = await startClusterNode({
    nodeId,
    redis: redisOfStore,
    self: () => ({
      nodeId,
      url: serverUrl,
      pid: process.pid,
      startedTs,
      version: SERVER_VERSION,
      ready: isReady(),
      clients: realtimeRef ? realtimeRef.connectedClients().live + realtimeRef.connectedClients().device : 0,
    }),
    log,
  });

  // --- fusion -----------------------------------------------------------------------------------
  // --- registry: devices and assets from the store; an empty store is seeded with the demo fleet
  // (or the devices a test passes) and the Qingdao assets, through the registry like any edit
  const verifier = new DeviceTokenVerifier(config.deviceSecret);
  const registry = new DeviceRegistry(store, verifier);
  const rules = new RuleRegistry(
    store,
    { deviceKind: (id) => registry.getDevice(id)?.kind, hasAsset: (id) => registry.getAsset(id) !== undefined },
    registry.limits.historyPageEntries,
  );
  // the shared log's end before anything is loaded, the registry included (issue 15): what other
  // nodes append from here on is applied by the follower; entries also covered by the loaded state
  // are applied again, which converges (readings are de-duplicated by seq, alerts and incidents and
  // registry records only move forward)
  const logStart = redisOfStore ? await store.logCursor() : null;
  await Promise.all([registry.load(), rules.load()]);
  // the demo's past (issue 16) is written only on a store seeded here with the demo fleet
  let seededDemoFleet = false;
  if (registry.isEmpty()) {
    seededDemoFleet = options.devices === undefined && config.demoDevices > 0;
    // the sensor fleet, the controllable devices (flood gates) its cycles do not produce, and the demo cameras (issue 17)
    const fleet =
      options.devices ??
      (config.demoDevices > 0
        ? [...generateFleet({ count: config.demoDevices, seed: config.demoSeed }), ...generateControlDevices(config.demoSeed), ...QINGDAO_CAMERAS]
        : []);
    log.info(await registry.seedDemo(fleet, QINGDAO_ASSETS, QINGDAO_RESOURCES), 'registry: empty store seeded with the demo fleet and assets');
    // each demo river's alarm ladder from its own warning/guarantee levels
    await rules.seedOverrides(QINGDAO_RULE_OVERRIDES);
  }
  const devices = registry.liveDevices();
  const fusion = new Fusion(devices, undefined, {
    ...DEFAULT_FUSION_OPTIONS,
    seriesBucketMs: config.seriesBucketMs,
    seriesBuckets: config.seriesBuckets,
    offlineStartupGraceMs: config.offlineStartupGraceMs,
  });
  // the screens show the registry's assets and resources (bridges, rivers' levels, shelters' capacity…)
  fusion.setAssets(registry.listAssets());
  // rule edits take effect from each device's next reading
  rules.attach((resolve) => fusion.setRules(resolve));
  // read before the states: a flush in between only makes the replay longer, never skips a reading
  const stateCursor = await store.deviceStatesCursor();
  const [states, alerts, incidents] = await Promise.all([
    store.loadDeviceStates(),
    store.loadAlerts(startedTs - ALERT_RETENTION_MS),
    store.loadIncidents(startedTs - ALERT_RETENTION_MS),
  ]);
  fusion.restore(states, alerts, incidents);

  // --- people -----------------------------------------------------------------------------------
  const tokens = new TokenService(config.jwtSecret, config.tokenTtlS);
  // one record per login, shared by every node through Redis (server/auth/sessions.ts)
  const sessions = new SessionService({
    backend:
      options.sessionBackend ??
      (store.kind === 'redis'
        ? new RedisSessionBackend((store as RedisStore).redisClient, (store as RedisStore).keyPrefix)
        : new MemorySessionBackend()),
    tokens,
    audit,
    log,
    settings: {
      idleTimeoutMs: config.sessionIdleTimeoutMs,
      sessionMaxMs: config.sessionMaxMs,
      screenTokenMs: config.screenTokenMs,
      touchIntervalMs: config.sessionTouchIntervalMs,
      usedRefreshHashesKept: config.sessionUsedRefreshTokensKept,
    },
  });
  // login throttles, TOTP, password age and history from config (issue 12); every login audited, fail closed
  const users = new UserService(store, tokens, loginPolicyOf(config));
  users.useSessions(sessions);
  users.useAudit(audit);
  const demoAccounts = config.seedDemoUsers ? await users.seedDemo(config.demoPassword) : [];
  if (config.bootstrapAdmin) {
    // the first administrator in production; honoured only while no usable administrator exists
    const b = await users.bootstrapAdmin(config.bootstrapAdmin.username, config.bootstrapAdmin.password);
    if (b.status === 'refused') throw new Error(`IOC_BOOTSTRAP_ADMIN refused: ${b.error.message}`);
    if (b.status === 'created') log.warn({ username: b.username }, 'bootstrap administrator created; it must change its password at first login');
    else log.info({ reason: b.reason }, 'IOC_BOOTSTRAP_ADMIN ignored');
  }
  if (config.refuseDemoAccounts && !(await store.listUsers()).some(isUsableAdmin)) {
    log.warn('no administrator can log in: set IOC_BOOTSTRAP_ADMIN and IOC_BOOTSTRAP_PASSWORD, or run `npm run admin -- create <username>`');
  }
  // the handlers fusion knows: the handler accounts, now, after every account change here, and
  // periodically (another node's changes)
  const rosterSync = startHandlerRosterSync({ store, register: fusion.syncHandlers, log });
  await rosterSync.sync();
  users.onAccountsChanged(() => rosterSync.sync());

  // --- realtime, commands, ingest ----------------------------------------------------------------
  const http = createServer();
  // device gateways post every few seconds on keep-alive connections: a short idle timeout makes
  // the server close sockets just as a gateway reuses them (ECONNRESET on the gateway's side)
  http.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  http.headersTimeout = HTTP_KEEP_ALIVE_MS + 1_000;
  // the one guard of every entry point: limits from config, shared by REST and the sockets
  const guard = new EntryGuard(config, log);
  // browser origins that may open sockets and call the API besides the server's own (server/security/)
  const originPolicy = new OriginPolicy([...config.allowedOrigins, ...(options.corsOrigins ?? [])]);
  const corsOrigins = originPolicy.allowedOrigins();
  // fan-out across nodes (issue 15): people's messages (incident:update, device:command, session
  // cuts) reach every node's sockets; scene frames stay on the node that built them
  // IOC_CLUSTER_ADAPTER=pubsub: the plain Redis Pub/Sub adapter (measured against the streams one in the bench)
  const clusterAdapter = !redisOfStore
    ? null
    : config.clusterAdapter === 'pubsub'
      ? createPubSubAdapter(redisOfStore.client, (store as RedisStore).keyPrefix, log)
      : createClusterAdapter(redisOfStore.client, (store as RedisStore).keyPrefix, {}, log);
  const io = new IoServer(http, {
    serveClient: false,
    ...(clusterAdapter ? { adapter: clusterAdapter.adapter } : {}),
    // engine.io's buffer limit is server-wide (sized for /device batches); /live's smaller one is the decoder's
    parser: createIocSocketParser({ maxMessageBytes: config.liveMaxMessageBytes, namespaceMaxMessageBytes: { '/device': config.maxBodyBytes } }),
    maxHttpBufferSize: config.maxBodyBytes,
    // every handshake (polling and websocket, any namespace): a page of another site is refused
    // before it counts against its address
    allowRequest: (req, answer) => {
      // a node still catching up with the shared log at start serves nobody yet (issue 15): the
      // client's next attempt goes through the balancer to a ready node
      if (readiness.isStartingUp()) {
        answer('E_UNAVAILABLE: this node is starting (catching up with the shared log)', false);
        return;
      }
      if (originPolicy.judge(req.headers, req.socket.remoteAddress) === 'refused') {
        answer('E_FORBIDDEN: origin not allowed', false);
        return;
      }
      const ok = guard.allowConnection(sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']));
      answer(ok ? null : 'E_RATE_LIMIT: too many unauthenticated connections from this address', ok);
    },
    cors: corsOrigins.length > 0 ? { origin: corsOrigins } : undefined,
  });
  closeDefaultNamespace(io);
  const realtime = new Realtime({
    io,
    audit,
    fusion,
    store,
    tokens,
    users,
    sessions,
    verifier,
    log,
    coalesceIntervalMs: config.coalesceIntervalMs,
    framePacing: config.framePacing,
    deltaHistoryPerScene: config.deltaHistoryPerScene,
    deltaHistoryMaxAgeMs: config.deltaHistoryMaxAgeMs,
    revisionLane: cluster.revisionLane,
    guard,
    limits: config,
  });
  realtimeRef = realtime;
  // the acting timers act only once this node has caught up (issue 15)
  const actingLeases = {
    escalation: actingOnceStarted(cluster.leases.escalation, readiness),
    plans: actingOnceStarted(cluster.leases.plans, readiness),
    offline: actingOnceStarted(cluster.leases.offline, readiness),
    'state-flush': actingOnceStarted(cluster.leases['state-flush'], readiness),
    housekeep: actingOnceStarted(cluster.leases.housekeep, readiness),
    reports: actingOnceStarted(cluster.leases.reports, readiness),
  };
  cluster.onLaneChanged((lane) => realtime.hub.setRevisionLane(lane));
  // notifications beyond the open page (issue 14, server/notify/): one hook around the realtime notifier
  const notifications = await startNotifications({ store, fusion, config: config.notify, audit, log, lease: actingLeases.escalation });
  // the long history (issue 16, server/history/): every change this node makes is archived (one hook, origin node only)
  const history = startHistory({ store, config, log, lease: actingLeases.housekeep });
  // live emergency resources (issue 17, server/resources/): assignments to incidents, given back when one is resolved or closed
  const resources = new ResourceService({
    store: resourceAssignStoreFor(store),
    incidents: fusion.incidents,
    getAsset: (id) => registry.getAsset(id),
    applyAssignments: (assigned) => fusion.setResourceAssignments(assigned),
    audit,
    log,
  });
  const commands = new CommandService(store, fusion, resources.wrapNotifier(history.feeder.wrap(notifications.wrapNotifier(realtime))), log, {
    commandTtlMs: config.commandTtlMs,
    commutativeRetries: config.commutativeRetries,
    audit,
    dedup: config.dedup,
  });
  // assign/release are written to the incident's event log as notes; then the totals reach fusion
  resources.useCommands((raw, actor, context) => commands.execute(raw, actor, context));
  await resources.start();
  // remote control (issue 13): transports add their channels below (MQTT) and in realtime (/device)
  const deviceControl = new DeviceCommandService({
    store,
    devices: fusion.devices,
    states: fusion.deviceStates,
    audit,
    log,
    timeoutMs: config.deviceCommandTimeoutMs,
    onChange: (record) => realtime.deviceCommandChanged(record),
  });
  // `/live` device:command(s) and the `/device` socket channel; then overdue commands are timed out
  realtime.useDeviceControl(deviceControl);
  await deviceControl.start();
  const readingsRate = new RateMeter(READINGS_RATE_WINDOW_S);
  const metrics = createMetrics({
    connectedClients: () => realtime.connectedClients(),
    fusionStats: () => fusion.stats(),
    readingsPerSecond: () => readingsRate.perSecond(),
    frameIntervalMs: () => realtime.hub.stats.frameIntervalMs,
    nodeId,
    version: SERVER_VERSION,
  });
  history.feeder.registerMetrics(metrics.registry);
  const onAlertChanges = (changes: AlertChangeRecord[]) => {
    for (const c of changes) {
      metrics.alerts.inc({ level: c.alert.level, change: c.change });
      commands.onAlertChange(c.alert, c.change, c.rule).catch((err: unknown) => log.error({ err, alertId: c.alert.id }, 'alert handling failed'));
    }
  };
  // registry edits take effect live: map, KPIs, rules; alerts a change clears are handled like any other
  // the MQTT endpoint (started below) closes at once the connections whose token a change revoked
  const deviceChangeWatchers: { deviceChanged(deviceId: string): void }[] = [];
  registry.attach({
    deviceChanged: (device, origin) => {
      for (const w of deviceChangeWatchers) w.deviceChanged(device.id);
      const changes = fusion.upsertDevice(device);
      // another node's edit (issue 15): that node persisted and notified the alerts it cleared; their events arrive through the log
      if (origin === 'local') onAlertChanges(changes);
    },
    assetChanged: (asset) => fusion.upsertAsset(asset),
  });
  let lastStoreWarnTs = 0;
  // deferred readings are fsync'ed here before they are acknowledged (the memory store keeps nothing anyway)
  let spool: IngestSpool | null = null;
  let spooled: SpooledBatch[] = [];
  if (store.kind === 'redis' && config.spoolDir) {
    const opened = await IngestSpool.open(config.spoolDir, `ingest-${config.port}`);
    spool = opened.spool;
    spooled = opened.batches;
    if (opened.skippedLines > 0) log.warn({ spool: spool.path, skippedLines: opened.skippedLines }, 'ingest spool: skipped torn or unreadable lines');
  }
  // readings roll-ups (issue 16): this node accumulates what it accepted and flushes it; the store merges every node's flushes
  const rollups = rollupStoreFor(store, store.kind === 'redis' ? config.rollups.store : config.rollups.memoryStore);
  const rollupAccumulator = new RollupAccumulator();
  const rollupFlusher = new RollupFlusher(rollups, rollupAccumulator, {
    ...config.rollups,
    onError: (err, pending) => log.warn({ err, pending }, 'roll-up flush failed; kept for retry'),
  });
  const ingest = new IngestService(store, fusion, verifier, onAlertChanges, {
    onStored: (readings) => rollupAccumulator.add(readings),
    maxClockSkewMs: config.maxClockSkewMs,
    maxDeferredReadings: config.maxDeferredReadings,
    spool,
    limits: {
      burstFactor: config.ingestBurstFactor,
      deviceMinReadingsPerS: config.ingestDeviceMinReadingsPerS,
      burstSeconds: config.ingestBurstSeconds,
      sourceReadingsPerS: config.ingestSourceReadingsPerS,
      authProbeReadings: config.ingestAuthProbeReadings,
    },
    onSpoolError: (err) => log.error({ err }, 'ingest spool write failed; readings answered E_UNAVAILABLE'),
    onFused: () => realtime.hub.flushIfDue(),
    onBatch: (r) => {
      readingsRate.add(r.accepted);
      metrics.readings.inc({ verdict: 'accepted' }, r.accepted);
      metrics.readings.inc({ verdict: 'duplicate' }, r.duplicates);
      metrics.readings.inc({ verdict: 'out_of_order' }, r.outOfOrder);
      metrics.readings.inc({ verdict: 'rejected' }, r.rejected.length);
      if (r.deferred) metrics.readings.inc({ verdict: 'deferred' }, r.deferred);
      if (r.rejected.length > 0) {
        let rateLimited = 0;
        let unavailable = 0;
        for (const x of r.rejected) {
          if (x.code === 'E_RATE_LIMIT') rateLimited++;
          else if (x.code === 'E_UNAVAILABLE') unavailable++;
        }
        if (rateLimited) metrics.readings.inc({ verdict: 'rate_limited' }, rateLimited);
        if (unavailable) metrics.readings.inc({ verdict: 'unavailable' }, unavailable);
      }
    },
    onStoreError: (err, deferred) => {
      // one line per outage-ish period, not one per batch
      if (Date.now() - lastStoreWarnTs < STORE_WARN_INTERVAL_MS) return;
      lastStoreWarnTs = Date.now();
      log.warn(
        { err, deferred },
        spool ? 'store rejected readings; spooled until it answers' : 'store rejected readings; keeping them in memory until it answers',
      );
    },
  });
  // before serving: acknowledged readings after the states' cursor and spooled ones count as seen
  const recovery = await ingest.recover(stateCursor, spooled, RECOVERY_PAGE_READINGS);
  if (recovery.replayedReadings > 0 || recovery.spooledBatches > 0) log.info(recovery, 'ingest recovery: readings noted in the sequence windows');
  realtime.attach(commands, ingest);
  // area warnings (issue 14, server/storm/): recomputed from every alert change; `/live` `warnings`, REST below
  const areaWarnings = await startAreaWarnings({
    store,
    fusion,
    live: realtime.live,
    dispatcher: realtime,
    hub: realtime.hub,
    onAlertChanged: (l) => realtime.onAlertChanged(l),
    audit,
    log,
    config,
  });

  // contingency plans (issue 14, server/plans/): trigger tick, instances, `/live` `plans` / `plan:command`
  const plans = await startPlans({
    store,
    fusion,
    live: realtime.live,
    dispatcher: realtime,
    users,
    guard,
    audit,
    log,
    config,
    deviceControl,
    resources,
    warnings: { activeWarnings: () => areaWarnings.service.current().warnings },
    onAlertChanged: (l) => realtime.onAlertChanged(l),
    onPlanStarted: (instance, plan) => notifications.planStarted(instance, plan),
    onPlanProposed: (instance, plan) => notifications.planProposed(instance, plan),
    lease: actingLeases.plans,
  });

  // scheduled reports (issue 16): made once per cron slot cluster-wide (their own lease + the store's slot claim);
  // a long report run does not hold up the hourly pruning, and the two may sit on different nodes
  const reportSource = historyReportSource(history.history, { store: plans.store, definitions: plans.service.definitions() });
  const reportSchedules = startReportSchedules({
    store,
    generator: { source: reportSource, horizonMs: config.historyRetentionMs, fusion, registry },
    log,
    lease: actingLeases.reports,
    live: realtime.live,
    publish: (event) => notifications.service.publish(event),
  });

  rollupFlusher.start();
  const app = createHttpApp({
    store,
    rollups,
    fusion,
    tokens,
    users,
    sessions,
    commands,
    ingest,
    hub: realtime.hub,
    metrics,
    log,
    deviceSecret: config.deviceSecret,
    maxBodyBytes: config.maxBodyBytes,
    maxPhotoBytes: config.maxPhotoBytes,
    clientDist: config.clientDist,
    startedTs,
    connectedClients: () => realtime.connectedClients(),
    guard,
    limits: config,
    registry,
    rules,
    audit,
    originPolicy,
    metricsAccess: new MetricsAccess({ token: config.metricsToken, allow: config.metricsAllow }),
    deviceControl,
    // the officer's decisions name the plans proposed to them (and not yet started or dismissed)
    storm: {
      ...areaWarnings.routerDeps,
      proposedPlanIds: (scope) => plans.service.viewsFor(scope).flatMap((v) => (v.instance.state === 'proposed' ? [v.instance.planId] : [])),
    },
    plans: plans.service,
    dedup: config.dedup,
    notify: notifications.routerDeps,
    nodeId,
    isReady,
    listNodes: () => cluster.nodes.list(),
    // reports read the long history (issue 16): as far back as it keeps records
    reports: { source: reportSource, horizonMs: config.historyRetentionMs },
    reportSchedules: reportSchedules.service,
    history: history.routerDeps,
    resources: { resources, fusedState: (nowTs) => fusion.fusedState(nowTs), incidents: fusion.incidents },
    basemaps: config.basemaps,
    // standard exports (issue 16): GeoJSON, CAP, OGC API – Features; machine clients' API keys beside the store
    exports: {
      registry,
      fusion,
      activeWarnings: () => areaWarnings.service.current().warnings,
      apiKeys: new ApiKeyService(apiKeyStoreFor(store), config),
      capSender: config.capSender,
    },
  });
  // engine.io answers its own path (its listener was attached with the IoServer): express must not
  // answer it too — its 404 to a long-poll made engine.io's later write throw ERR_HTTP_HEADERS_SENT,
  // an uncaught exception that any anonymous client could trigger to stop the process
  const enginePath = `${io.path()}/`;
  http.on('request', (req, res) => {
    if (req.url?.startsWith(enginePath)) return;
    if (readiness.isStartingUp() && !STARTING_UP_ROUTES.has(req.url?.split('?')[0] ?? '')) {
      // issue 15: 503 while catching up at start; nginx retries an idempotent request elsewhere
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { code: 'E_UNAVAILABLE', message: 'this node is starting (catching up with the shared log); retry' } }));
      return;
    }
    app(req, res);
  });

  // --- housekeeping timers (server/node-timers.ts); the acting ones under their cluster leases
  let followerRef: LogFollower | null = null;
  const timers = startNodeTimers({
    fusion,
    store,
    ingest,
    leases: actingLeases,
    onAlertChanges,
    // a cluster node's states cover what its follower applied (own readings were fused before appended)
    coveredReadingsCursor: async () => followerRef?.position()?.readings ?? (await store.readingsCursor()),
    startCursor: stateCursor,
    log,
    options: {
      tickIntervalMs: TICK_INTERVAL_MS,
      offlineCheckIntervalMs: config.offlineCheckIntervalMs,
      stateFlushIntervalMs: STATE_FLUSH_INTERVAL_MS,
      stateFlushChunk: STATE_FLUSH_CHUNK,
      deferredFlushIntervalMs: DEFERRED_FLUSH_INTERVAL_MS,
      housekeepIntervalMs: config.housekeepIntervalMs,
    },
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  serverUrl = url;

  // --- what other nodes accepted (issue 15): their readings fused here, their alerts, incidents and
  // registry edits applied; serving only once caught up (/healthz says ready:false meanwhile)
  let follower: LogFollower | null = null;
  if (redisOfStore && logStart) {
    follower = createNodeFollower({
      store,
      nodeId,
      fusion,
      realtime,
      registry,
      rules,
      reloadSettings: () => areaWarnings.rules.load(),
      reloadWindowMs: ALERT_RETENTION_MS,
      log,
    });
    follower.start(logStart);
    followerRef = follower;
    await readiness.follow(follower, clusterAdapter, log, {
      waitMs: CLUSTER_CATCH_UP_WAIT_MS,
      pollMs: STARTING_UP_POLL_MS,
      adapterTimeoutMs: CLUSTER_CONNECT_TIMEOUT_MS,
    });
  }
  history.backfill();
  // the demo's past (issue 16, server/demo-past/): in the background, never in production (no demo accounts there)
  const demoPast: StartedDemoPast =
    seededDemoFleet && config.seedDemoUsers && config.demoPastDays > 0
      ? startDemoPast({
          store,
          rollups,
          history: history.history,
          plans: { store: plans.store, definitions: plans.service.definitions() },
          fusion,
          devices: registry.liveDevices(),
          assets: registry.listAssets(),
          rulesFor: (device) => rules.effectiveFor(device),
          seed: config.demoSeed,
          days: config.demoPastDays,
          log,
        })
      : NO_DEMO_PAST;
  log.info({ url, store: store.kind, devices: devices.length }, 'City IOC server listening');

  let closed = false;
  let mqtt: MqttEndpoint | null = null;
  const server: IocServer = {
    url,
    port,
    store,
    storeReason,
    fusion,
    realtime,
    sessions,
    ingest,
    commands,
    deviceControl,
    plans: plans.service,
    notifications: notifications.service,
    registry,
    audit,
    areaWarnings,
    mqttPort: null,
    mqtt: null,
    demoAccounts,
    log,
    http,
    io,
    cluster,
    follower,
    history,
    demoPast,
    reportSchedules,
    async close() {
      if (closed) return;
      closed = true;
      await shutdownInOrder(
        [
          // devices stop first: nothing is ingested while the rest shuts down
          { name: 'mqtt', stop: () => mqtt?.close() },
          { name: 'demo-past', stop: () => demoPast.close() },
          {
            name: 'timers',
            stop: () => {
              timers.stop();
              rosterSync.stop();
              realtime.stop();
              areaWarnings.close();
              plans.close();
            },
          },
          { name: 'notifications', stop: () => notifications.close() },
          { name: 'history', stop: () => history.close() },
          { name: 'resources', stop: () => resources.close() },
          { name: 'report-schedules', stop: () => reportSchedules.close() },
          { name: 'device-control', stop: () => deviceControl.close() },
          { name: 'timer-states', stop: () => timers.flushStates() },
          { name: 'ingest', stop: () => ingest.close() },
          { name: 'rollups', stop: () => rollupFlusher.close() },
          { name: 'follower', stop: () => follower?.stop() },
          // io.close() closes the HTTP server too, which waits for requests in flight: cut them at the bound
          { name: 'http', stop: () => new Promise<void>((resolve) => io.close(() => resolve())), onTimeout: () => http.closeAllConnections() },
          { name: 'cluster-adapter', stop: () => clusterAdapter?.close() },
          // leases released last: a survivor takes the timers over at once
          { name: 'cluster', stop: () => cluster.close() },
          // the last anchor before the store's connection goes
          { name: 'audit', stop: () => audit.close() },
          { name: 'store', stop: () => store.close() },
        ],
        log,
      );
    },
  };

  // --- devices over MQTT (issue 13; server/mqtt/): embedded broker or external client, on the one ingest path of HTTP
  if (config.mqttPort !== null || config.mqttUrl !== null) for (const verdict of MQTT_VERDICTS) metrics.mqttMessages.inc({ verdict }, 0);
  try {
    mqtt = await startMqtt(config, {
      devices: fusion.devices,
      verifier,
      ingest,
      guard,
      markOffline: (deviceId, ts) => {
        const changes: AlertChangeRecord[] = [];
        if (fusion.markOffline(deviceId, ts, changes) && changes.length > 0) onAlertChanges(changes);
      },
      acknowledge: (deviceId, ack) => deviceControl.acknowledge(deviceId, ack),
      countMessage: (verdict) => metrics.mqttMessages.inc({ verdict }),
      countRefusedConnect: (reason) => metrics.mqttConnectsRefused.inc({ reason }),
      audit,
      log,
      httpPort: port,
    });
  } catch (err) {
    // an explicit port that is busy: ConfigError, main.ts exits 2
    await server.close();
    throw err;
  }
  if (mqtt) {
    server.mqtt = mqtt;
    server.mqttPort = mqtt.port;
    deviceChangeWatchers.push(mqtt);
    deviceControl.addChannel(mqtt.commandChannel);
    log.info({ mqtt: mqtt.url, mode: mqtt.mode }, mqtt.mode === 'embedded' ? 'MQTT broker listening' : 'MQTT: client of an external broker');
  }
  return server;
}
