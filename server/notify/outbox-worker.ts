/**
 * Delivers the durable outbox (at-least-once): signed webhook POSTs and Web Push to every browser
 * of a recipient. A failure is retried with exponential back-off; after `maxAttempts` it goes to
 * the dead letters, which an admin can list and retry. Each poll leases what it takes
 * (NotifyStore.claimDueOutbox), so a second node or a restart does not send it in parallel; a
 * process that dies mid-send leaves the entry due again after the lease.
 */
import type { Logger } from '../logger';
import { retryDelayMs, type NotifyConfig } from './notify-config';
import type { NotifyStore } from './notify-store';
import type { OutboxEntry, VapidKeys } from './notify-types';
import { DELIVERY_ATTEMPT_HEADER, EVENT_ID_HEADER, postWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-http';
import { sendWebPush } from './web-push-sender';

export interface OutboxWorkerDeps {
  store: NotifyStore;
  config: NotifyConfig;
  log: Logger;
  now: () => number;
  vapid: () => VapidKeys;
}

type Outcome = { ok: true } | { ok: false; error: string };

export class OutboxWorker {
  private running: Promise<number> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: OutboxWorkerDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.kick(), this.d.config.outboxPollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Deliver what is due now; a call while a pass runs makes one more pass after it. Resolves with the entries handled. */
  kick(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let handled = 0;
      try {
        do {
          this.again = false;
          handled += await this.deliverDue();
        } while (this.again);
      } catch (err) {
        this.d.log.warn({ err }, 'notification outbox: delivery pass failed; will retry');
      } finally {
        this.running = null;
      }
      return handled;
    })();
    return this.running;
  }

  /** Waits for the pass in flight (tests, close). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async deliverDue(): Promise<number> {
    const { config, store } = this.d;
    let handled = 0;
    for (;;) {
      const batch = await store.claimDueOutbox(this.d.now(), config.outboxBatch, config.outboxLeaseMs);
      if (batch.length === 0) return handled;
      await Promise.all(batch.map((e) => this.deliver(e)));
      handled += batch.length;
      if (batch.length < config.outboxBatch) return handled;
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = entry.channel === 'webhook' ? await this.deliverWebhook(entry) : await this.deliverPush(entry);
    } catch (err) {
      outcome = { ok: false, error: (err as Error).message.slice(0, 200) };
    }
    if (outcome.ok) {
      await this.d.store.completeOutbox(entry.id);
      return;
    }
    const attempts = entry.attempts + 1;
    const now = this.d.now();
    if (attempts >= this.d.config.maxAttempts) {
      this.d.log.warn({ delivery: entry.id, attempts, error: outcome.error }, 'notification delivery failed for good: dead letter');
      await this.d.store.deadLetter({ ...entry, attempts, lastError: outcome.error, nextAttemptTs: now, deadTs: now });
      return;
    }
    await this.d.store.rescheduleOutbox({ ...entry, attempts, lastError: outcome.error, nextAttemptTs: now + retryDelayMs(this.d.config, attempts) });
  }

  private async deliverWebhook(entry: OutboxEntry): Promise<Outcome> {
    const sub = await this.d.store.getWebhook(entry.target);
    // removed or switched off since the event was queued: nothing to deliver
    if (!sub || !sub.enabled) return { ok: true };
    const r = await postWebhook(
      sub.url,
      entry.body,
      {
        [SIGNATURE_HEADER]: webhookSignature(sub.secret, entry.body),
        [EVENT_ID_HEADER]: entry.eventId,
        [TIMESTAMP_HEADER]: String(this.d.now()),
        [DELIVERY_ATTEMPT_HEADER]: String(entry.attempts + 1),
      },
      {
        timeoutMs: this.d.config.webhookTimeoutMs,
        maxResponseBytes: this.d.config.webhookMaxResponseBytes,
        maxRedirects: this.d.config.webhookMaxRedirects,
      },
    );
    return r.ok ? { ok: true } : { ok: false, error: r.error };
  }

  private async deliverPush(entry: OutboxEntry): Promise<Outcome> {
    const { store, config } = this.d;
    const subscriptions = await store.listPushSubscriptions(entry.target);
    let delivered = 0;
    const errors: string[] = [];
    for (const s of subscriptions) {
      const r = await sendWebPush(s, entry.body, this.d.vapid(), {
        subject: config.push.subject,
        ttlS: config.push.ttlS,
        http: { timeoutMs: config.webhookTimeoutMs, maxResponseBytes: config.webhookMaxResponseBytes, maxRedirects: 0 },
      });
      if (r.status === 'delivered') delivered++;
      else if (r.status === 'gone') {
        // the browser dropped the subscription (RFC 8030 §7.3): forget it
        await store.deletePushSubscription(s.id);
        this.d.log.info({ username: s.username }, 'push subscription gone (404/410): removed');
      } else errors.push(r.error);
    }
    if (delivered > 0) await store.markDelivered(entry.eventId, entry.target, this.d.now());
    // delivered to one browser of the person is enough; none answered: try again later
    if (delivered === 0 && errors.length > 0) return { ok: false, error: errors[0]! };
    return { ok: true };
  }
}
