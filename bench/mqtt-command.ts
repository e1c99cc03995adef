/**
 * Command round trip for the MQTT benchmark: an officer's `/live` socket emits `device:command`
 * (`{commandId, deviceId, name: 'start'}`), the server sends it to the device over MQTT, the bench
 * device (mqtt-publisher-process.ts) answers `ok` at once, and the officer's socket receives the
 * pushed `device:command` record with status `acknowledged`. Latency = that push − the emit, on one
 * clock (this process). Commands go round-robin over `deviceIds`, one outstanding per device.
 */
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../scenes/protocol';
import { summarizeLatency, type LatencySummary } from './stats';

export interface CommandRunResult {
  /** null when the server has no command path yet (the reason is in `skipped`) */
  latency: LatencySummary | null;
  /** emit → the `device:command` answer (status `sent`), ms */
  sentLatency: LatencySummary | null;
  sent: number;
  acknowledged: number;
  failed: number;
  timedOut: number;
  refused: number;
  firstError: string | null;
  skipped: string | null;
}

const ANSWER_TIMEOUT_MS = 5_000;
/** how long the first (probe) command is retried while the server answers nothing or an error, ms */
const PROBE_PATIENCE_MS = 30_000;
/** a command not settled by this long after its emit is counted as timed out here, ms */
const SETTLE_TIMEOUT_MS = 15_000;

interface Record_ {
  commandId: string;
  status: string;
}

export async function runCommandRoundTrips(
  url: string,
  officerToken: string,
  deviceIds: string[],
  p: { commandsPerS: number; durationMs: number },
): Promise<CommandRunResult> {
  const s: Socket = io(`${url}/live`, {
    auth: { token: officerToken, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  const r: CommandRunResult = {
    latency: null,
    sentLatency: null,
    sent: 0,
    acknowledged: 0,
    failed: 0,
    timedOut: 0,
    refused: 0,
    firstError: null,
    skipped: null,
  };
  const emittedAt = new Map<string, number>();
  const busy = new Set<string>();
  const deviceOf = new Map<string, string>();
  const rtt: number[] = [];
  const sentMs: number[] = [];
  const settle = (id: string) => {
    emittedAt.delete(id);
    busy.delete(deviceOf.get(id)!);
  };
  s.on('device:command', (rec: Record_) => {
    const t0 = emittedAt.get(rec.commandId);
    if (t0 === undefined || rec.status === 'sent') return;
    if (rec.status === 'acknowledged') {
      r.acknowledged++;
      rtt.push(Date.now() - t0);
    } else if (rec.status === 'failed') r.failed++;
    else r.timedOut++;
    settle(rec.commandId);
  });
  const send = async (deviceId: string): Promise<void> => {
    const commandId = `bench-${Date.now().toString(36)}-${r.sent}`;
    deviceOf.set(commandId, deviceId);
    busy.add(deviceId);
    const t0 = Date.now();
    emittedAt.set(commandId, t0);
    r.sent++;
    const answer = (await s
      .timeout(ANSWER_TIMEOUT_MS)
      .emitWithAck('device:command', { commandId, deviceId, name: 'start' })
      .catch((e: unknown) => ({ ok: false, error: { code: 'E_TIMEOUT', message: String((e as Error)?.message ?? e) } }))) as {
      ok: boolean;
      error?: { code: string; message: string };
    };
    if (answer.ok) sentMs.push(Date.now() - t0);
    else {
      r.refused++;
      r.firstError ??= `${answer.error?.code}: ${answer.error?.message}`;
      settle(commandId);
    }
  };
  try {
    // one probe command first: a server without the command path answers nothing or an error. A
    // server still working off the overload of the search's last steps may not answer at once:
    // the probe is tried again for PROBE_PATIENCE_MS before the part is skipped.
    const probeUntil = Date.now() + PROBE_PATIENCE_MS;
    for (;;) {
      await send(deviceIds[0]!);
      if (!r.refused) break;
      if (Date.now() > probeUntil) {
        r.skipped = `the server did not take a device:command within ${PROBE_PATIENCE_MS / 1000} s (${r.firstError})`;
        return r;
      }
      // the unanswered probe stays counted as sent: the server may still carry it out
      r.refused = 0;
      r.firstError = null;
    }
    const t0 = performance.now();
    let next = 1;
    let cursor = 1;
    while (performance.now() - t0 < p.durationMs) {
      const due = Math.floor(((performance.now() - t0) * p.commandsPerS) / 1000) + 1;
      // one outstanding command per device: when every device is busy, the rest waits a tick
      for (let tries = 0; next < due && tries < deviceIds.length; tries++) {
        const id = deviceIds[cursor++ % deviceIds.length]!;
        if (busy.has(id)) continue;
        void send(id);
        next++;
      }
      await new Promise((res) => setTimeout(res, 10));
    }
    const until = Date.now() + SETTLE_TIMEOUT_MS;
    while (emittedAt.size > 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    r.timedOut += emittedAt.size;
    r.latency = summarizeLatency(rtt);
    r.sentLatency = summarizeLatency(sentMs);
    return r;
  } finally {
    s.close();
  }
}
