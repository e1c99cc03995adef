/**
 * Configuration of notifications beyond the open page (issue 14): webhook delivery and retries,
 * Web Push, the ladder / re-notify tick. Read from the environment once at start (config.ts
 * `notify`); every limit has its unit in its name.
 */
import { z } from 'zod';
import { DEFAULT_ESCALATION_LADDER, LadderStepSchema, type EscalationLadder } from '../../scenes/storm/escalation-ladder';
import { PRIORITIES } from '../../scenes/domain';
import { DEFAULT_RENOTIFY_POLICY, type RenotifyPolicy } from '../../scenes/storm/renotify';
import { DEFAULT_NOTIFY_STORE_OPTIONS, type NotifyStoreOptions } from './notify-store';

export interface NotifyConfig {
  /** a webhook or push request (connect, send, answer) must finish within this, ms */
  webhookTimeoutMs: number;
  /** bytes of a receiver's answer read at most */
  webhookMaxResponseBytes: number;
  /** same-origin 307/308 redirects followed (never to another host) */
  webhookMaxRedirects: number;
  /** first retry after this, doubling per attempt… */
  retryBaseMs: number;
  /** …up to this, ms */
  retryMaxMs: number;
  /** attempts before a delivery goes to the dead letters */
  maxAttempts: number;
  /** how often the outbox is polled for due deliveries, ms */
  outboxPollIntervalMs: number;
  /** deliveries taken per poll */
  outboxBatch: number;
  /** a taken delivery is not taken again (by this or another node) for this long, ms */
  outboxLeaseMs: number;
  /** how often the escalation ladder, 督办 deadlines and re-notify are checked, ms */
  ladderTickIntervalMs: number;
  ladder: EscalationLadder;
  renotify: RenotifyPolicy;
  store: NotifyStoreOptions;
  push: {
    /** VAPID `sub`: a mailto: or https: contact */
    subject: string;
    /** the push service keeps an undelivered message this long, s */
    ttlS: number;
    /** fixed keys (IOC_VAPID_PUBLIC_KEY / IOC_VAPID_PRIVATE_KEY); null: generated on first start and stored */
    vapid: { publicKey: string; privateKey: string } | null;
    /** push endpoints must be on one of these hosts (suffix match); empty: any host */
    allowedHosts: string[];
    /** http: endpoints accepted (tests, a local push service); never in production */
    allowInsecure: boolean;
  };
  /** absolute base of links in webhook bodies (IOC_PUBLIC_URL); null: paths only */
  publicUrl: string | null;
  /** `npm start` demo: a local webhook sink and a subscription pointing at it */
  demoSink: boolean;
}

/** Push services of the major browsers (FCM, Mozilla, Microsoft, Apple). */
export const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'push.services.mozilla.com', 'notify.windows.com', 'push.apple.com'];

const EnvSchema = z.object({
  IOC_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  IOC_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  IOC_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(5_000),
  IOC_WEBHOOK_RETRY_MAX_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(15 * 60_000),
  IOC_LADDER_TICK_MS: z.coerce.number().int().min(100).default(15_000),
  IOC_RENOTIFY_AFTER_MIN: z.coerce.number().positive().optional(),
  /** the escalation ladder per priority as JSON (scenes/storm/escalation-ladder.ts); priorities left out keep the default */
  IOC_ESCALATION_LADDER: z.string().max(20_000).optional(),
  IOC_VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)\S+$/)
    .default('mailto:ioc-duty@example.invalid'),
  IOC_VAPID_PUBLIC_KEY: z.string().min(40).max(200).optional(),
  IOC_VAPID_PRIVATE_KEY: z.string().min(20).max(100).optional(),
  IOC_PUSH_ALLOWED_HOSTS: z.string().optional(),
  IOC_PUBLIC_URL: z.url().optional(),
  IOC_WEBHOOK_DEMO_SINK: z.enum(['0', '1']).optional(),
});

/** IOC_ESCALATION_LADDER: `{"P1": [{id, when: {at: 'fraction', fraction} | {at: 'breach', afterMs}, notify, markOverdue}], …}`. */
export function ladderFromEnv(json: string | undefined): EscalationLadder {
  if (json === undefined || json.trim() === '') return DEFAULT_ESCALATION_LADDER;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`IOC_ESCALATION_LADDER: not JSON (${(err as Error).message})`);
  }
  const parsed = z.partialRecord(z.enum(PRIORITIES), z.array(LadderStepSchema).max(10)).safeParse(raw);
  if (!parsed.success) throw new Error(`IOC_ESCALATION_LADDER: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  for (const [p, steps] of Object.entries(parsed.data)) {
    const ids = new Set((steps ?? []).map((st) => st.id));
    if (ids.size !== (steps ?? []).length) throw new Error(`IOC_ESCALATION_LADDER: ${p} has two steps with the same id`);
  }
  return { ...DEFAULT_ESCALATION_LADDER, ...parsed.data } as EscalationLadder;
}

export function notifyConfigFromEnv(env: NodeJS.ProcessEnv, production: boolean): NotifyConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(`invalid notification settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  if ((e.IOC_VAPID_PUBLIC_KEY === undefined) !== (e.IOC_VAPID_PRIVATE_KEY === undefined))
    throw new Error('IOC_VAPID_PUBLIC_KEY and IOC_VAPID_PRIVATE_KEY go together: set both or neither');
  const hosts =
    e.IOC_PUSH_ALLOWED_HOSTS !== undefined
      ? e.IOC_PUSH_ALLOWED_HOSTS.split(',')
          .map((h) => h.trim().toLowerCase())
          .filter((h) => h.length > 0)
      : production
        ? [...DEFAULT_PUSH_HOSTS]
        : [];
  return {
    webhookTimeoutMs: e.IOC_WEBHOOK_TIMEOUT_MS,
    webhookMaxResponseBytes: 64 * 1024,
    webhookMaxRedirects: 2,
    retryBaseMs: e.IOC_WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: Math.max(e.IOC_WEBHOOK_RETRY_BASE_MS, e.IOC_WEBHOOK_RETRY_MAX_MS),
    maxAttempts: e.IOC_WEBHOOK_MAX_ATTEMPTS,
    outboxPollIntervalMs: 1_000,
    outboxBatch: 50,
    outboxLeaseMs: 60_000,
    ladderTickIntervalMs: e.IOC_LADDER_TICK_MS,
    ladder: ladderFromEnv(e.IOC_ESCALATION_LADDER),
    renotify:
      e.IOC_RENOTIFY_AFTER_MIN !== undefined
        ? { ...DEFAULT_RENOTIFY_POLICY, renotifyAfterMs: Math.round(e.IOC_RENOTIFY_AFTER_MIN * 60_000) }
        : DEFAULT_RENOTIFY_POLICY,
    store: DEFAULT_NOTIFY_STORE_OPTIONS,
    push: {
      subject: e.IOC_VAPID_SUBJECT,
      ttlS: 3600,
      vapid: e.IOC_VAPID_PUBLIC_KEY && e.IOC_VAPID_PRIVATE_KEY ? { publicKey: e.IOC_VAPID_PUBLIC_KEY, privateKey: e.IOC_VAPID_PRIVATE_KEY } : null,
      allowedHosts: hosts,
      allowInsecure: !production,
    },
    publicUrl: e.IOC_PUBLIC_URL ?? null,
    demoSink: !production && e.IOC_WEBHOOK_DEMO_SINK !== '0' && env.NODE_ENV !== 'test',
  };
}

/** Back-off before attempt `attempts + 1` (attempts already made ≥ 1): base · 2^(attempts-1), capped. */
export function retryDelayMs(config: Pick<NotifyConfig, 'retryBaseMs' | 'retryMaxMs'>, attempts: number): number {
  return Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}
