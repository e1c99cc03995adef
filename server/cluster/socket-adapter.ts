/**
 * Socket.IO fan-out across the cluster's nodes (issue 15) with `@socket.io/redis-streams-adapter`:
 * every broadcast is XADDed to one Redis stream that every node reads with a blocking XREAD, so a
 * screen on node A sees what node B emitted; the stream also carries connection-state recovery
 * (a client that lost its node resumes on another with the packets it missed, within
 * `maxDisconnectionDuration` and while they are still in the stream).
 *
 * Keys and channels, all under the store's prefix (`<prefix>:sio…`, inside the `ioc-app` ACL
 * user's key pattern): the stream `<prefix>:sio:stream`, recovery sessions
 * `<prefix>:sio:session:<pid>` (SET PX, GETDEL), Pub/Sub channels `<prefix>:sio#<nsp>#…` for the
 * ephemeral requests (fetchSockets, serverSideEmit, broadcasts with acks).
 *
 * Why the adapter gets clients of its own and not the store's:
 * - the store's client has `commandTimeout` (2 s) and no offline queue. The adapter makes its
 *   stream reader and its subscriber with `duplicate()` of the client it is given: a reader with a
 *   2 s command deadline would time out every blocking XREAD (BLOCK 5 s), and a subscriber without
 *   an offline queue fails its SUBSCRIBE when it is issued before the connection is up. So the
 *   publisher below answers `duplicate()` with a reader client that has no deadline, an offline
 *   queue and unlimited retries (it waits for Redis instead of failing), and a blocking XREAD never
 *   holds up the store's commands on a shared connection.
 * - the adapter sends PUBLISH and SET (recovery sessions) without handling a rejection, and
 *   server/main.ts exits on an unhandled rejection: the publisher catches (and logs) those
 *   rejections itself, so a Redis outage degrades fan-out to this node's own clients instead of
 *   killing the node.
 * - the publisher fails fast while Redis is down (no offline queue, a command deadline): the
 *   adapter awaits XADD before delivering a broadcast locally, so a queued XADD would hold up this
 *   node's own screens for the whole outage, and a late one would deliver stale frames elsewhere.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { ServerOptions } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createAdapter as createPubSubAdapterFactory } from '@socket.io/redis-adapter';
import { DEFAULT_MAX_RECOVERY_ENTRIES, withBoundedRecovery } from './bounded-recovery';

/** Tunables of the adapter; defaults in DEFAULT_CLUSTER_ADAPTER_OPTIONS. */
export interface ClusterAdapterOptions {
  /**
   * Stream entries kept (XADD MAXLEN ~), entries. A recovering client gets its missed packets only
   * while they are still in the stream: at R broadcasts/s the stream covers maxLenEntries / R
   * seconds, which should exceed the server's `maxDisconnectionDuration`.
   */
  maxLenEntries: number;
  /** entries fetched per XREAD */
  readCount: number;
  /** how long one blocking XREAD waits for new entries before it is sent again, ms */
  blockTimeMs: number;
  /** deadline of one publisher command (XADD, PUBLISH, SET), ms: a broadcast waits at most this for Redis */
  publishTimeoutMs: number;
  /** a recovering client further behind than this gets a new session (bounded-recovery.ts), stream entries */
  maxRecoveryEntries: number;
}

export const DEFAULT_CLUSTER_ADAPTER_OPTIONS: ClusterAdapterOptions = {
  maxLenEntries: 10_000,
  readCount: 100,
  blockTimeMs: 5_000,
  publishTimeoutMs: 1_000,
  maxRecoveryEntries: DEFAULT_MAX_RECOVERY_ENTRIES,
};

/** Told when a publish fails (once per outage for the connection errors). */
export interface ClusterAdapterLogger {
  warn(o: object | string, m?: string): void;
}

/** The adapter factory, as `new Server({ adapter })` / `io.adapter()` takes it. */
export type ClusterAdapterFactory = ServerOptions['adapter'];

export interface ClusterAdapter {
  /** pass to Socket.IO: `new Server(http, { adapter: cluster.adapter, connectionStateRecovery: {...} })` */
  readonly adapter: ClusterAdapterFactory;
  /** the Redis stream that carries the broadcasts */
  readonly streamKey: string;
  /** key prefix of the recovery sessions */
  readonly sessionKeyPrefix: string;
  /** prefix of the Pub/Sub channels */
  readonly channelPrefix: string;
  /**
   * Resolves true once the publisher, the stream reader and the subscriber are connected, false
   * after `timeoutMs`. Until then a broadcast reaches this node's clients only, and the reader
   * (which starts at the stream's end, `$`) has not seen what others sent: await it before the
   * node reports ready.
   */
  connected(timeoutMs: number): Promise<boolean>;
  /** Disconnect the adapter's own clients (publisher, stream reader, subscriber); after `io.close()`. */
  close(): Promise<void>;
}

/** Options of the reader clients (stream XREAD, Pub/Sub): wait for Redis, never time out a blocking read. */
const READER_OVERRIDES: Partial<RedisOptions> = {
  commandTimeout: undefined,
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  // an XREAD in flight when the connection dropped is a read: sending it again is harmless
  autoResendUnfulfilledCommands: true,
  autoResubscribe: true,
  // the adapter calls connect() itself on a lazy client; ours connect on creation
  lazyConnect: false,
  keyPrefix: '',
};

/**
 * The Redis Streams adapter for a cluster whose nodes share `redis` (the store's client, whose
 * connection options — host, password, TLS, db — are reused; the client itself is not used) and
 * the store's key `prefix` (RedisStore.keyPrefix, e.g. `ioc`; a trailing `:` is ignored).
 */
export function createClusterAdapter(
  redis: Redis,
  prefix: string,
  options: Partial<ClusterAdapterOptions> = {},
  logger?: ClusterAdapterLogger,
): ClusterAdapter {
  const o = { ...DEFAULT_CLUSTER_ADAPTER_OPTIONS, ...options };
  const base = prefix.replace(/:+$/, '');
  const streamKey = `${base}:sio:stream`;
  const sessionKeyPrefix = `${base}:sio:session:`;
  const channelPrefix = `${base}:sio`;

  const { publisher, readers, warnOnce } = guardedClients(redis, o.publishTimeoutMs, logger);
  const set = publisher.set.bind(publisher) as (...args: unknown[]) => Promise<unknown>;
  Object.assign(publisher, {
    set: (...args: unknown[]) =>
      set(...args).catch((err: unknown) => {
        warnOnce(err, 'recovery session');
        return null;
      }),
    // the adapter's stream reader and subscriber: see READER_OVERRIDES
    duplicate: (override: Partial<RedisOptions> = {}) => readers.create(override),
  });

  const streamsAdapter = createAdapter(publisher, {
    streamName: streamKey,
    channelPrefix,
    sessionKeyPrefix,
    maxLen: o.maxLenEntries,
    readCount: o.readCount,
    blockTimeInMs: o.blockTimeMs,
    // this server never emits binary over Socket.IO (server/socket-encoder.ts): skip the adapter's
    // hasBinary walk over every broadcast (a 20k-device snapshot is ~100k nodes)
    onlyPlaintext: true,
  });
  const adapter = withBoundedRecovery(streamsAdapter, publisher, streamKey, o.maxRecoveryEntries);

  return {
    adapter,
    streamKey,
    sessionKeyPrefix,
    channelPrefix,
    // both readers exist as soon as createAdapter returned
    connected: (timeoutMs) => allReady([publisher, ...readers.list], timeoutMs),
    async close() {
      for (const r of readers.list) r.disconnect();
      publisher.disconnect();
    },
  };
}

/**
 * The plain Redis Pub/Sub adapter (`@socket.io/redis-adapter`), same interface: the bench's peer of
 * the streams adapter (issue 15, `IOC_CLUSTER_ADAPTER=pubsub`). Every broadcast is one PUBLISH on
 * `<prefix>:sio-pubsub#<nsp>#[<room>#]`, delivered to the nodes subscribed at that instant and
 * nowhere stored: no connection-state recovery across nodes, and a node that is reconnecting to
 * Redis misses what was published meanwhile. Same client hygiene as createClusterAdapter: a
 * publisher that fails fast and never rejects unhandled, a subscriber that waits for Redis.
 * `streamKey` and `sessionKeyPrefix` are empty: there is no stream and no stored session.
 */
export function createPubSubAdapter(
  redis: Redis,
  prefix: string,
  logger?: ClusterAdapterLogger,
  options: Partial<Pick<ClusterAdapterOptions, 'publishTimeoutMs'>> = {},
): ClusterAdapter {
  const publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_CLUSTER_ADAPTER_OPTIONS.publishTimeoutMs;
  const channelPrefix = `${prefix.replace(/:+$/, '')}:sio-pubsub`;
  const { publisher, readers } = guardedClients(redis, publishTimeoutMs, logger);
  const subscriber = readers.create({});
  const adapter = createPubSubAdapterFactory(publisher, subscriber, { key: channelPrefix });
  return {
    adapter,
    streamKey: '',
    sessionKeyPrefix: '',
    channelPrefix,
    connected: (timeoutMs) => allReady([publisher, subscriber], timeoutMs),
    async close() {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

/** Resolves true once every client is ready, false after `timeoutMs`. */
async function allReady(clients: Redis[], timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  // a subscriber's ready check is done once it subscribed
  const up = Promise.all(clients.map((c) => (c.status === 'ready' ? null : new Promise((r) => c.once('ready', r))))).then(() => true);
  try {
    return await Promise.race([up, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The publisher (fails fast, its PUBLISH never rejects unhandled) and a factory of reader clients
 * (wait for Redis, (UN)SUBSCRIBE/P(UN)SUBSCRIBE never reject unhandled), from the store's client's
 * connection options. See the module comment for why.
 */
function guardedClients(
  redis: Redis,
  publishTimeoutMs: number,
  logger: ClusterAdapterLogger | undefined,
): {
  publisher: Redis;
  readers: { list: Redis[]; create(override: Partial<RedisOptions>): Redis };
  warnOnce(err: unknown, what: string): void;
} {
  const publisher = redis.duplicate({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: publishTimeoutMs,
    autoResendUnfulfilledCommands: false,
    lazyConnect: false,
    keyPrefix: '',
  });

  // one warning per outage: the client emits an error at every reconnect attempt
  let warned = false;
  publisher.on('ready', () => {
    warned = false;
  });
  const warnOnce = (err: unknown, what: string): void => {
    if (warned) return;
    warned = true;
    logger?.warn({ err: String(err), what }, 'cluster fan-out: Redis unreachable; broadcasts reach this node only until it is back');
  };
  publisher.on('error', (err) => warnOnce(err, 'connection'));

  // the adapters drop the promises of PUBLISH: catch them here (see the module comment)
  const publish = publisher.publish.bind(publisher) as (...args: unknown[]) => Promise<number>;
  Object.assign(publisher, {
    publish: (...args: unknown[]) =>
      publish(...args).catch((err: unknown) => {
        warnOnce(err, 'publish');
        return 0;
      }),
  });

  const list: Redis[] = [];
  const create = (override: Partial<RedisOptions>): Redis => {
    const reader = redis.duplicate({ ...READER_OVERRIDES, ...override });
    // connection errors surface on the publisher; a reader just waits for the connection
    reader.on('error', () => undefined);
    // the adapters also drop the promises of UNSUBSCRIBE/PUNSUBSCRIBE (on close): a connection
    // already closed must not reject unhandled (server/main.ts exits on one)
    for (const method of ['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const) {
      const original = reader[method].bind(reader) as (...args: unknown[]) => Promise<unknown>;
      Object.assign(reader, { [method]: (...args: unknown[]) => original(...args).catch((err: unknown) => warnOnce(err, method)) });
    }
    list.push(reader);
    return reader;
  };
  return { publisher, readers: { list, create }, warnOnce };
}
