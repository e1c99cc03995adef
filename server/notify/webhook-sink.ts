/**
 * The demo's local webhook sink (`npm start`, never in production): a tiny HTTP server on
 * 127.0.0.1 (a free port) that verifies each delivery's signature the way a real SMS / WeCom /
 * DingTalk gateway should, logs it to the server log and keeps the newest few for
 * `GET /api/webhooks/demo-sink`. A demo subscription pointing at it is (re)written at each start.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';
import type { NotifyStore } from './notify-store';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from './webhook-http';
import type { WebhookSubscription } from './notify-types';

/** Messages the sink keeps for the admin page. */
const SINK_KEEP = 50;
/** Largest body the sink reads, bytes. */
const SINK_MAX_BODY_BYTES = 64 * 1024;
export const DEMO_SUBSCRIPTION_ID = 'demo-sink';

export interface SinkMessage {
  receivedTs: number;
  eventId: string;
  signatureValid: boolean;
  /** a repeat of an event id already received (at-least-once: a receiver de-duplicates by it) */
  duplicate: boolean;
  body: unknown;
}

export interface WebhookSink {
  url: string;
  messages(): SinkMessage[];
  close(): Promise<void>;
}

export async function startWebhookSink(secret: string, log: Logger): Promise<WebhookSink> {
  const kept: SinkMessage[] = [];
  const seen = new Set<string>();
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > SINK_MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const eventId = String(req.headers[EVENT_ID_HEADER] ?? '');
      const signatureValid = verifyWebhookSignature(secret, raw, req.headers[SIGNATURE_HEADER] as string | undefined);
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {
        // kept as null: the log line says the signature and id
      }
      const duplicate = seen.has(eventId);
      seen.add(eventId);
      kept.push({ receivedTs: Date.now(), eventId, signatureValid, duplicate, body });
      if (kept.length > SINK_KEEP) kept.shift();
      const b = body as { type?: string; title?: { zh?: string }; recipients?: string[] } | null;
      log.info(
        { webhookSink: true, eventId, type: b?.type, title: b?.title?.zh, recipients: b?.recipients, signatureValid, duplicate },
        'demo webhook sink received a notification',
      );
      res.writeHead(signatureValid ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    messages: () => [...kept].reverse(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The demo subscription: every event type, to the sink (its URL changes with each start). */
export async function seedDemoSubscription(store: NotifyStore, url: string, secret: string, nowTs: number): Promise<void> {
  const before = await store.getWebhook(DEMO_SUBSCRIPTION_ID);
  const sub: WebhookSubscription = {
    id: DEMO_SUBSCRIPTION_ID,
    url,
    secret,
    eventTypes: [],
    districts: [],
    enabled: before?.enabled ?? true,
    description: '演示：npm start 自带的本地 webhook 接收端，收到的推送见服务器日志（demo sink）',
    createdTs: before?.createdTs ?? nowTs,
    updatedTs: nowTs,
    createdBy: 'system',
  };
  await store.putWebhook(sub);
}
