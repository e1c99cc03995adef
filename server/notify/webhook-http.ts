/**
 * One webhook POST: signed JSON, bounded in time and size, redirects never followed to another
 * host (a same-origin redirect is followed at most `maxRedirects` times; 307/308 only, so the
 * body and method stay as signed). No cookies, no proxies, no credentials in URLs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const SIGNATURE_HEADER = 'x-ioc-signature';
export const EVENT_ID_HEADER = 'x-ioc-event-id';
export const TIMESTAMP_HEADER = 'x-ioc-timestamp';
export const DELIVERY_ATTEMPT_HEADER = 'x-ioc-delivery-attempt';

/** `sha256=<hex HMAC-SHA256(secret, body)>`, the X-IOC-Signature value. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Receiver side (and tests): does the header match the body? Constant-time. */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(webhookSignature(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WebhookPostOptions {
  /** the whole exchange (connect, send, response headers and body), ms */
  timeoutMs: number;
  /** the response body is read up to this many bytes, the rest discarded (the status is what counts) */
  maxResponseBytes: number;
  /** same-origin 307/308 redirects followed; any other redirect is a failure */
  maxRedirects: number;
}

export type WebhookPostResult = { ok: true; status: number } | { ok: false; status?: number; error: string };

export async function postWebhook(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  options: WebhookPostOptions,
): Promise<WebhookPostResult> {
  let target = new URL(url);
  for (let hop = 0; hop <= options.maxRedirects; hop++) {
    let res: { status: number; location?: string };
    try {
      res = await postOnce(target, body, headers, options);
    } catch (err) {
      return { ok: false, error: (err as Error).message.slice(0, 200) };
    }
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    if (res.status >= 300 && res.status < 400) {
      if ((res.status !== 307 && res.status !== 308) || !res.location || !URL.canParse(res.location, target)) {
        return { ok: false, status: res.status, error: `redirect ${res.status} not followed` };
      }
      const next = new URL(res.location, target);
      if (next.origin !== target.origin) return { ok: false, status: res.status, error: `redirect to another host (${next.host}) refused` };
      target = next;
      continue;
    }
    return { ok: false, status: res.status, error: `HTTP ${res.status}` };
  }
  return { ok: false, error: 'too many redirects' };
}

function postOnce(
  url: URL,
  body: string | Buffer,
  headers: Record<string, string>,
  options: WebhookPostOptions,
): Promise<{ status: number; location?: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...headers,
          'content-length': String(data.length),
          'user-agent': 'city-ioc-webhook/1',
        },
        timeout: options.timeoutMs,
      },
      (res: IncomingMessage) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          // the receiver's answer is not ours to keep: past the bound, stop reading
          if (read > options.maxResponseBytes) res.destroy();
        });
        const done = () => {
          clearTimeout(timer);
          const location = res.headers.location;
          resolve({ status: res.statusCode ?? 0, ...(typeof location === 'string' ? { location } : {}) });
        };
        res.once('end', done);
        res.once('close', done);
        res.once('error', done);
      },
    );
    // `timeout` is idle time; this bounds the whole exchange
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    req.once('timeout', () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(data);
  });
}
