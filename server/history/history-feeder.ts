/**
 * Feeds the long history (issue 16): every incident and alert change this node makes is upserted
 * as the record is now. One hook per kind — the ChangeNotifier the commands, the automation and
 * fusion's alert handling all tell — so it runs on the ORIGIN node only (other nodes follow the log
 * and tell their realtime layer, not this notifier); the upsert is idempotent by id and revision,
 * so a retried or doubled write is harmless.
 *
 * Writing never blocks or fails a command: fire and forget, a logged error (at most one line per
 * ERROR_LOG_INTERVAL_MS) and `ioc_history_writes_total{kind,outcome}` in /metrics. Incidents are
 * written at once; an alert's copies are coalesced for ALERT_COALESCE_MS (an open alert changes
 * with every reading). At start, `backfill` copies what the working set holds (nothing is missing
 * after an upgrade).
 */
import { Counter, type Registry } from 'prom-client';
import type { Alert, Incident } from '../../scenes/domain';
import type { ChangeNotifier } from '../commands';
import type { Logger } from '../logger';
import type { Store } from '../store/store';
import type { HistoryStore } from '../store/history-store';

/** One error line per this long at most while the history store fails, ms. */
const ERROR_LOG_INTERVAL_MS = 10_000;
/** Upserts in flight at once while backfilling (a short queue on Redis, not 100k promises). */
const BACKFILL_CONCURRENCY = 32;
/**
 * An open alert changes with every reading that re-observes it: its copies are coalesced for this
 * long and the newest written, ms (the archive is for searching the past, not a live view).
 */
export const ALERT_COALESCE_MS = 1_000;

export type HistoryWriteOutcome = 'ok' | 'failed';

export class HistoryFeeder {
  private readonly writes: Counter<'kind' | 'outcome'>;
  private lastErrorLogTs = 0;
  private readonly pending = new Set<Promise<void>>();
  /** alert id → its newest copy not yet written */
  private readonly alertCopies = new Map<string, Alert>();
  private alertTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly history: HistoryStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly alertCoalesceMs = ALERT_COALESCE_MS,
  ) {
    this.writes = new Counter({
      name: 'ioc_history_writes_total',
      help: 'Writes to the long history (issue 16) by record kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [],
    });
    for (const kind of ['incident', 'alert'])
      for (const outcome of ['ok', 'failed'] satisfies HistoryWriteOutcome[]) this.writes.inc({ kind, outcome }, 0);
  }

  /** Adds `ioc_history_writes_total` to /metrics (the registry exists after the commands that need the notifier). */
  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.writes);
  }

  /** The notifier to hand the commands: tells `inner` first, then archives the change. */
  wrap(inner: ChangeNotifier): ChangeNotifier {
    return {
      alertChanged: (alert: Alert) => {
        inner.alertChanged(alert);
        this.archiveAlert(alert);
      },
      incidentChanged: (incident: Incident, previousAssignees: readonly string[]) => {
        inner.incidentChanged(incident, previousAssignees);
        this.archiveIncident(incident);
      },
    };
  }

  archiveIncident(incident: Incident): void {
    this.track('incident', this.history.upsertIncident(incident), incident.id);
  }

  archiveAlert(alert: Alert): void {
    this.alertCopies.set(alert.id, alert);
    if (this.alertTimer) return;
    this.alertTimer = setTimeout(() => this.flushAlerts(), this.alertCoalesceMs);
    this.alertTimer.unref?.();
  }

  /** Writes the coalesced alert copies now. */
  flushAlerts(): void {
    if (this.alertTimer) clearTimeout(this.alertTimer);
    this.alertTimer = null;
    const copies = [...this.alertCopies.values()];
    this.alertCopies.clear();
    for (const alert of copies) this.track('alert', this.history.upsertAlert(alert), alert.id);
  }

  /** Copies the store's working set (open records and those the store still keeps) into the history. */
  async backfill(store: Pick<Store, 'loadIncidents' | 'loadAlerts'>): Promise<{ incidents: number; alerts: number }> {
    const [incidents, alerts] = await Promise.all([store.loadIncidents(0), store.loadAlerts(0)]);
    await inBatches(incidents, (i) => this.history.upsertIncident(i), 'incident', this);
    await inBatches(alerts, (a) => this.history.upsertAlert(a), 'alert', this);
    return { incidents: incidents.length, alerts: alerts.length };
  }

  /** Writes what is coalesced and waits for the writes in flight (a test, a clean shutdown). */
  async settled(): Promise<void> {
    this.flushAlerts();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  count(kind: 'incident' | 'alert', outcome: HistoryWriteOutcome, err?: unknown, id?: string): void {
    this.writes.inc({ kind, outcome });
    if (outcome === 'ok') return;
    const nowTs = this.now();
    if (nowTs - this.lastErrorLogTs < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLogTs = nowTs;
    this.log.error({ err, kind, id }, 'history write failed; the record is written again at its next change or the next start');
  }

  private track(kind: 'incident' | 'alert', write: Promise<void>, id: string): void {
    const p = write.then(
      () => this.count(kind, 'ok'),
      (err: unknown) => this.count(kind, 'failed', err, id),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

async function inBatches<T extends { id: string }>(
  records: readonly T[],
  write: (r: T) => Promise<void>,
  kind: 'incident' | 'alert',
  feeder: HistoryFeeder,
): Promise<void> {
  for (let i = 0; i < records.length; i += BACKFILL_CONCURRENCY) {
    await Promise.all(
      records.slice(i, i + BACKFILL_CONCURRENCY).map((r) =>
        write(r).then(
          () => feeder.count(kind, 'ok'),
          (err: unknown) => feeder.count(kind, 'failed', err, r.id),
        ),
      ),
    );
  }
}
