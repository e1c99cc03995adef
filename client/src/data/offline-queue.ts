/**
 * The field handler's outbox: every action is first written to IndexedDB with its commandId, then
 * sent; whatever could not be sent (no network, server unreachable) stays queued and is replayed in
 * order when the network comes back. Because the commandId is fixed when the action is taken, a
 * replay can never apply an action twice: the server answers a repeat with `duplicate: true`,
 * which counts as done.
 *
 * Outcomes of one send:
 * - ok (new or duplicate) → removed;
 * - a definitive refusal (E_CONFLICT, E_FORBIDDEN, E_VALIDATION, E_NOT_FOUND) → removed and reported
 *   (the UI shows the server's message), and replay continues with the next one;
 * - a transient failure (network, timeout, E_INTERNAL, E_RATE_LIMIT, E_UNAUTHORIZED) → stays, replay
 *   stops so later actions never overtake an earlier one.
 *
 * Photos taken offline are kept as Blobs in the queued item and uploaded first on replay; their
 * server ids are written back to the item so a retry does not upload them again.
 */
import type { Command, CommandResult, IocError } from '@scenes/protocol';

/** One queued action. */
export interface QueuedAction {
  /** = command.commandId */
  commandId: string;
  /** the command as it will be sent (photos filled in after upload) */
  command: Command;
  /** epoch ms when the person took the action */
  queuedTs: number;
  /** send attempts so far */
  attempts: number;
  /** why the last attempt did not go through (transient), for the "waiting" list */
  lastError?: string;
  /** photos still to upload before the command can be sent */
  pendingPhotos?: Blob[];
  /** ids of photos already uploaded for this command */
  uploadedPhotoIds?: string[];
}

/** Where queued actions live: IndexedDB in the app, memory in tests. Ordered by queuedTs, then insertion. */
export interface QueueStorage {
  all(): Promise<QueuedAction[]>;
  put(item: QueuedAction): Promise<void>;
  remove(commandId: string): Promise<void>;
}

/** What a transport answered; `network` = it never reached the server (or no answer came back). */
export type SendOutcome = CommandResult | { ok: false; network: true; message: string };

export interface OfflineQueueDeps {
  storage: QueueStorage;
  sendCommand(command: Command): Promise<SendOutcome>;
  uploadPhoto(photo: Blob): Promise<{ ok: true; id: string } | { ok: false; network: boolean; message: string }>;
  now?: () => number;
}

/** A queued action the server refused for good. */
export interface DroppedAction {
  action: QueuedAction;
  error: IocError;
}

export interface QueueSnapshot {
  pending: QueuedAction[];
  /** refused actions not yet dismissed by the user, newest last */
  dropped: DroppedAction[];
  flushing: boolean;
}

export interface OfflineQueue {
  /** store the action, then try to send everything queued (in order) */
  enqueue(command: Command, photos?: Blob[]): Promise<void>;
  /** replay all queued actions in order; resolves when done or stopped by a transient failure */
  flush(): Promise<{ sent: number; dropped: number; remaining: number }>;
  snapshot(): QueueSnapshot;
  subscribe(listener: (s: QueueSnapshot) => void): () => void;
  dismissDropped(): void;
  /** load what a previous page session left queued */
  load(): Promise<void>;
}

const DEFINITIVE: readonly IocError['code'][] = ['E_CONFLICT', 'E_FORBIDDEN', 'E_VALIDATION', 'E_NOT_FOUND', 'E_PAYLOAD_TOO_LARGE', 'E_PROTOCOL'];

/** Is this refusal final (drop the action) rather than worth retrying? */
export function isDefinitiveRefusal(error: IocError): boolean {
  return DEFINITIVE.includes(error.code);
}

export function createOfflineQueue(deps: OfflineQueueDeps): OfflineQueue {
  const now = deps.now ?? Date.now;
  let pending: QueuedAction[] = [];
  let dropped: DroppedAction[] = [];
  let flushing: Promise<{ sent: number; dropped: number; remaining: number }> | null = null;
  let again = false;
  /** queuedTs is kept strictly increasing so two actions in the same millisecond keep their order */
  let lastQueuedTs = 0;
  const listeners = new Set<(s: QueueSnapshot) => void>();

  const snapshot = (): QueueSnapshot => ({ pending: [...pending], dropped: [...dropped], flushing: flushing !== null });
  const notify = () => {
    const s = snapshot();
    for (const l of listeners) l(s);
  };

  const update = async (item: QueuedAction) => {
    await deps.storage.put(item);
    pending = pending.map((p) => (p.commandId === item.commandId ? item : p));
  };
  const removeItem = async (commandId: string) => {
    await deps.storage.remove(commandId);
    pending = pending.filter((p) => p.commandId !== commandId);
  };

  /** Upload the item's photos; false = transient failure (stop), or an IocError = definitive. */
  const uploadPhotos = async (item: QueuedAction): Promise<QueuedAction | false | IocError> => {
    let current = item;
    while (current.pendingPhotos && current.pendingPhotos.length > 0) {
      const [photo, ...rest] = current.pendingPhotos;
      const r = await deps.uploadPhoto(photo!);
      if (!r.ok) {
        if (r.network) {
          await update({ ...current, attempts: current.attempts + 1, lastError: r.message });
          return false;
        }
        return { code: 'E_VALIDATION', message: r.message };
      }
      const ids = [...(current.uploadedPhotoIds ?? []), r.id];
      current = { ...current, pendingPhotos: rest, uploadedPhotoIds: ids };
      await update(current);
    }
    if (current.uploadedPhotoIds?.length && 'photos' in current.command) {
      current = { ...current, command: { ...current.command, photos: current.uploadedPhotoIds } as Command };
    }
    return current;
  };

  const runFlush = async () => {
    let sent = 0;
    let droppedNow = 0;
    for (const original of [...pending]) {
      const prepared = await uploadPhotos(original);
      if (prepared === false) break;
      if (!('commandId' in prepared)) {
        await removeItem(original.commandId);
        dropped = [...dropped, { action: original, error: prepared }];
        droppedNow++;
        notify();
        continue;
      }
      const item = prepared;
      const r = await deps.sendCommand(item.command);
      if (r.ok) {
        await removeItem(item.commandId);
        sent++;
        notify();
        continue;
      }
      if ('network' in r) {
        await update({ ...item, attempts: item.attempts + 1, lastError: r.message });
        break;
      }
      if (isDefinitiveRefusal(r.error)) {
        await removeItem(item.commandId);
        dropped = [...dropped, { action: item, error: r.error }];
        droppedNow++;
        notify();
        continue;
      }
      await update({ ...item, attempts: item.attempts + 1, lastError: r.error.message });
      break;
    }
    return { sent, dropped: droppedNow, remaining: pending.length };
  };

  const flush = (): Promise<{ sent: number; dropped: number; remaining: number }> => {
    if (flushing) {
      // one replay at a time: a request during a replay runs once more right after it
      again = true;
      return flushing;
    }
    flushing = (async () => {
      let total = { sent: 0, dropped: 0, remaining: 0 };
      try {
        do {
          again = false;
          const r = await runFlush();
          total = { sent: total.sent + r.sent, dropped: total.dropped + r.dropped, remaining: r.remaining };
        } while (again && pending.length > 0);
      } finally {
        flushing = null;
        notify();
      }
      return total;
    })();
    notify();
    return flushing;
  };

  return {
    async enqueue(command, photos) {
      const item: QueuedAction = {
        commandId: command.commandId,
        command,
        queuedTs: (lastQueuedTs = Math.max(now(), lastQueuedTs + 1)),
        attempts: 0,
        ...(photos && photos.length > 0 ? { pendingPhotos: photos, uploadedPhotoIds: [] } : {}),
      };
      await deps.storage.put(item);
      if (!pending.some((p) => p.commandId === item.commandId)) pending = [...pending, item];
      notify();
      void flush();
    },
    flush,
    snapshot,
    subscribe(listener) {
      listeners.add(listener);
      listener(snapshot());
      return () => listeners.delete(listener);
    },
    dismissDropped() {
      dropped = [];
      notify();
    },
    async load() {
      const stored = await deps.storage.all();
      const known = new Set(pending.map((p) => p.commandId));
      pending = [...pending, ...stored.filter((s) => !known.has(s.commandId))].sort((a, b) => a.queuedTs - b.queuedTs);
      lastQueuedTs = Math.max(lastQueuedTs, ...pending.map((p) => p.queuedTs));
      notify();
    },
  };
}

/** In-memory storage (tests, and the fallback when IndexedDB is unavailable). */
export function createMemoryQueueStorage(): QueueStorage & { items: Map<string, QueuedAction> } {
  const items = new Map<string, QueuedAction>();
  return {
    items,
    async all() {
      return [...items.values()].sort((a, b) => a.queuedTs - b.queuedTs);
    },
    async put(item) {
      items.set(item.commandId, item);
    },
    async remove(commandId) {
      items.delete(commandId);
    },
  };
}

const DB_VERSION = 1;
const STORE_NAME = 'outbox';

/** IndexedDB storage through `idb`; one database per signed-in user so phones can be shared. */
export async function openIndexedDbQueueStorage(username: string): Promise<QueueStorage> {
  const { openDB } = await import('idb');
  const db = await openDB(`ioc-outbox-${username}`, DB_VERSION, {
    upgrade(database) {
      const store = database.createObjectStore(STORE_NAME, { keyPath: 'commandId' });
      store.createIndex('queuedTs', 'queuedTs');
    },
  });
  return {
    async all() {
      return (await db.getAllFromIndex(STORE_NAME, 'queuedTs')) as QueuedAction[];
    },
    async put(item) {
      await db.put(STORE_NAME, item);
    },
    async remove(commandId) {
      await db.delete(STORE_NAME, commandId);
    },
  };
}
