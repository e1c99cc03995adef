/**
 * Does the configured Redis answer someone who has no password? (issue 12: production refuses to
 * start then — anyone who reaches the port could read and change every incident, user and audit
 * record.) The probe connects to the URL's host and port with NO credentials and sends PING:
 * `+PONG` means the default user needs no password; `-NOAUTH` / `-WRONGPASS` mean it does.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** How long the probe waits for a connection and the first reply line, ms. */
export const REDIS_PROBE_TIMEOUT_MS = 2_000;
const DEFAULT_REDIS_PORT = 6379;
/** Bytes of a reply line read at most (a PING reply is a few bytes). */
const MAX_REPLY_BYTES = 512;

export type RedisOpenness =
  /** answered PING without credentials */
  | { kind: 'open' }
  /** asked for credentials (NOAUTH, WRONGPASS), or refused the password-less user otherwise (NOPERM) */
  | { kind: 'protected'; reply: string }
  /** no answer: nothing to judge (the store reports its own outage) */
  | { kind: 'unreachable'; reason: string };

export function probeRedisWithoutPassword(redisUrl: string, timeoutMs = REDIS_PROBE_TIMEOUT_MS): Promise<RedisOpenness> {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    return Promise.resolve({ kind: 'unreachable', reason: 'unparseable Redis URL' });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port ? Number(url.port) : DEFAULT_REDIS_PORT;
  return new Promise<RedisOpenness>((resolve) => {
    // certificate checks do not matter here: nothing secret is sent, only PING
    const socket: Socket =
      url.protocol === 'rediss:' ? tlsConnect({ host, port, servername: host, rejectUnauthorized: false }) : netConnect({ host, port });
    let reply = '';
    let done = false;
    const finish = (r: RedisOpenness): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => finish({ kind: 'unreachable', reason: `no answer within ${timeoutMs} ms` }));
    socket.once('error', (err) => finish({ kind: 'unreachable', reason: (err as NodeJS.ErrnoException).code ?? err.message }));
    socket.once(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      const end = reply.indexOf('\r\n');
      if (end < 0 && reply.length < MAX_REPLY_BYTES) return;
      const line = (end < 0 ? reply : reply.slice(0, end)).slice(0, 200);
      finish(line.startsWith('+PONG') ? { kind: 'open' } : { kind: 'protected', reply: line });
    });
    socket.once('close', () => finish({ kind: 'unreachable', reason: 'connection closed without a reply' }));
  });
}
