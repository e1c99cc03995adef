/**
 * Re-notify until acknowledged: a red alert or a P1 task not acknowledged within N minutes is sent
 * again, then to the next person on the ladder. The server keeps a log of what it sent (with the
 * key of each attempt) and passes it back in, so nothing is sent twice after a restart. Pure.
 */
import { z } from 'zod';

const MINUTE_MS = 60_000;

export const RenotifyPolicySchema = z.strictObject({
  /** ms after the previous attempt before the next one */
  renotifyAfterMs: z.number().int().positive(),
  /** attempts (the first notification included) to one recipient before moving up the ladder */
  attemptsPerRecipient: z.number().int().min(1),
  /** total attempts, the first included; then the item is left to the escalation ladder */
  maxAttempts: z.number().int().min(1),
});
export type RenotifyPolicy = z.infer<typeof RenotifyPolicySchema>;

/** Defaults: again after 5 min, twice each, up to six attempts (handler → officer → leader). */
export const DEFAULT_RENOTIFY_POLICY: RenotifyPolicy = { renotifyAfterMs: 5 * MINUTE_MS, attemptsPerRecipient: 2, maxAttempts: 6 };

/** Something that waits for an acknowledgement: a red alert, or a P1 task. */
export interface RenotifyItem {
  /** e.g. `alert:{alertId}` or `task:{incidentId}:{username}` */
  key: string;
  /** epoch ms of the first notification (attempt 0) */
  sinceTs: number;
  acknowledged: boolean;
  /** who to tell, in ladder order (the first is the original recipient) */
  recipients: readonly string[];
}

/** One entry of the notification log: attempt n of an item was sent to a recipient. */
export interface SentNotification {
  itemKey: string;
  attempt: number;
  recipient: string;
  /** epoch ms */
  ts: number;
}

export interface DueNotification {
  /** `${itemKey}:${attempt}` — the idempotency key (also the webhook's) */
  key: string;
  itemKey: string;
  attempt: number;
  recipient: string;
}

/** Recipient of attempt `attempt` (0-based): `attemptsPerRecipient` to each, the last one keeps the rest. */
export function recipientOf(item: Pick<RenotifyItem, 'recipients'>, attempt: number, policy: RenotifyPolicy): string | undefined {
  if (item.recipients.length === 0) return undefined;
  return item.recipients[Math.min(Math.floor(attempt / policy.attemptsPerRecipient), item.recipients.length - 1)];
}

/**
 * The notifications to send now: for each unacknowledged item, the next attempt once
 * `renotifyAfterMs` passed since the latest logged attempt (or since `sinceTs` when the log holds
 * none — attempt 0 is the ordinary notification and counts as sent then). At most one per item per
 * call, so a long downtime does not burst several attempts at one person.
 */
export function dueRenotifications(
  items: readonly RenotifyItem[],
  policy: RenotifyPolicy,
  sentLog: readonly SentNotification[],
  nowTs: number,
): DueNotification[] {
  const latest = new Map<string, SentNotification>();
  for (const s of sentLog) {
    const seen = latest.get(s.itemKey);
    if (!seen || s.attempt > seen.attempt) latest.set(s.itemKey, s);
  }
  const out: DueNotification[] = [];
  for (const item of items) {
    if (item.acknowledged) continue;
    const last = latest.get(item.key);
    const lastAttempt = last?.attempt ?? 0;
    const lastTs = last?.ts ?? item.sinceTs;
    const attempt = lastAttempt + 1;
    if (attempt >= policy.maxAttempts || nowTs - lastTs < policy.renotifyAfterMs) continue;
    const recipient = recipientOf(item, attempt, policy);
    if (recipient === undefined) continue;
    out.push({ key: `${item.key}:${attempt}`, itemKey: item.key, attempt, recipient });
  }
  return out;
}
