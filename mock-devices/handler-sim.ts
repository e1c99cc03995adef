/**
 * Simulated field handlers (handler1..8): each rides a loop of street-grid waypoints around
 * their home base and reports a position every few seconds over `/live`, exactly as the mobile
 * app does (login → token → Socket.IO handshake `{ token, protocol }` → 'handler:position').
 *
 * Tolerates a server that is not up yet or restarts: logins are retried, sockets reconnect, and
 * an expired or refused token is replaced by a fresh login.
 */
import { io, type Socket } from 'socket.io-client';
import type { LngLat } from '../scenes/domain';
import { PROTOCOL_VERSION, type LoginResponse } from '../scenes/protocol';
import { DEMO_HANDLERS, type DemoHandler } from '../scenes/city/qingdao';
import { hashUnit } from './stable-hash';

export const HANDLER_SIM_CONFIG = {
  positionIntervalMs: 5000,
  /** e-scooter speed in city traffic, m/s */
  speedMps: 4,
  /** loop size around home, m (drawn per handler in these ranges) */
  loopWidthMinM: 600,
  loopWidthMaxM: 1400,
  loopHeightMinM: 400,
  loopHeightMaxM: 1000,
  loginRetryMs: 3000,
  /** re-login this long before the token expires, ms */
  tokenRefreshMarginMs: 60_000,
  /** GPS accuracy reported with each position, m */
  accuracyM: 8,
} as const;

const METERS_PER_DEG_LAT = 111_195;

function offset(home: LngLat, eastM: number, northM: number): LngLat {
  const lat = home[1] + northM / METERS_PER_DEG_LAT;
  const lng = home[0] + eastM / (METERS_PER_DEG_LAT * Math.cos((home[1] * Math.PI) / 180));
  return [Math.round(lng * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6];
}

/**
 * A closed loop of axis-aligned legs starting and ending at home — a "staircase" of blocks, the
 * shape a ride along a street grid takes. Direction (which quadrant) is stable per handler.
 */
export function handlerRoute(handler: Pick<DemoHandler, 'id' | 'home'>, seed = 0): LngLat[] {
  const c = HANDLER_SIM_CONFIG;
  const w = c.loopWidthMinM + hashUnit(seed, `route-w:${handler.id}`) * (c.loopWidthMaxM - c.loopWidthMinM);
  const h = c.loopHeightMinM + hashUnit(seed, `route-h:${handler.id}`) * (c.loopHeightMaxM - c.loopHeightMinM);
  const sx = hashUnit(seed, `route-sx:${handler.id}`) < 0.5 ? -1 : 1;
  const sy = hashUnit(seed, `route-sy:${handler.id}`) < 0.5 ? -1 : 1;
  const legs: [number, number][] = [
    [0, 0],
    [sx * w * 0.5, 0],
    [sx * w * 0.5, sy * h * 0.5],
    [sx * w, sy * h * 0.5],
    [sx * w, sy * h],
    [0, sy * h],
    [0, 0],
  ];
  return legs.map(([e, n]) => offset(handler.home, e, n));
}

function legLengthM(a: LngLat, b: LngLat): number {
  const dx = (b[0] - a[0]) * METERS_PER_DEG_LAT * Math.cos((a[1] * Math.PI) / 180);
  const dy = (b[1] - a[1]) * METERS_PER_DEG_LAT;
  return Math.hypot(dx, dy);
}

/** Position after travelling `distanceM` along the closed route (wraps around). Pure. */
export function positionAlongRoute(route: readonly LngLat[], distanceM: number): LngLat {
  const lengths = route.slice(1).map((p, i) => legLengthM(route[i], p));
  const total = lengths.reduce((a, b) => a + b, 0);
  if (total <= 0) return route[0];
  let d = ((distanceM % total) + total) % total;
  for (let i = 0; i < lengths.length; i++) {
    if (d <= lengths[i]) {
      const f = lengths[i] > 0 ? d / lengths[i] : 0;
      const a = route[i];
      const b = route[i + 1];
      return [Math.round((a[0] + (b[0] - a[0]) * f) * 1e6) / 1e6, Math.round((a[1] + (b[1] - a[1]) * f) * 1e6) / 1e6];
    }
    d -= lengths[i];
  }
  return route[route.length - 1];
}

/** Where a handler is at ts (epoch ms): a stable start offset per handler, constant speed. Pure. */
export function handlerPositionAt(handler: Pick<DemoHandler, 'id' | 'home'>, ts: number, seed = 0): LngLat {
  const route = handlerRoute(handler, seed);
  const startOffsetM = hashUnit(seed, `route-start:${handler.id}`) * 10_000;
  return positionAlongRoute(route, startOffsetM + (ts / 1000) * HANDLER_SIM_CONFIG.speedMps);
}

export interface HandlerSimOptions {
  serverUrl: string;
  password: string;
  handlers?: readonly DemoHandler[];
  seed?: number;
  intervalMs?: number;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
}

interface HandlerSession {
  handler: DemoHandler;
  token?: string;
  expiresAt: number;
  socket?: Socket;
  timer?: ReturnType<typeof setInterval>;
  loggingIn: boolean;
}

export class HandlerSimulator {
  private readonly sessions: HandlerSession[];
  private readonly fetchImpl: typeof fetch;
  private readonly log: (line: string) => void;
  private readonly serverUrl: string;
  private readonly intervalMs: number;
  private readonly seed: number;
  private stopped = false;
  private positionsSent = 0;

  constructor(private readonly opts: HandlerSimOptions) {
    this.serverUrl = opts.serverUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.log = opts.log ?? ((line) => console.log(line));
    this.intervalMs = opts.intervalMs ?? HANDLER_SIM_CONFIG.positionIntervalMs;
    this.seed = opts.seed ?? 0;
    this.sessions = (opts.handlers ?? DEMO_HANDLERS).map((handler) => ({ handler, expiresAt: 0, loggingIn: false }));
  }

  /** Positions emitted so far (all handlers). */
  get sent(): number {
    return this.positionsSent;
  }

  start(): void {
    for (const s of this.sessions) void this.connect(s);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.sessions) {
      if (s.timer) clearInterval(s.timer);
      s.socket?.disconnect();
      s.socket = undefined;
    }
  }

  /** Log in until it works (the server may not be up yet). */
  private async login(s: HandlerSession): Promise<boolean> {
    let lastError = '';
    while (!this.stopped) {
      try {
        const res = await this.fetchImpl(`${this.serverUrl}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: s.handler.id, password: this.opts.password }),
        });
        if (res.ok) {
          const body = (await res.json()) as Partial<LoginResponse>;
          if (typeof body.token === 'string') {
            s.token = body.token;
            s.expiresAt = typeof body.expiresAt === 'number' ? body.expiresAt : Infinity;
            return true;
          }
        }
        const err = `HTTP ${res.status}`;
        if (err !== lastError) this.log(`[handlers] ${s.handler.id} login failed (${err}); retrying`);
        lastError = err;
      } catch (e) {
        const err = e instanceof Error ? e.message : String(e);
        if (err !== lastError) this.log(`[handlers] ${s.handler.id} login failed (${err}); retrying`);
        lastError = err;
      }
      await new Promise((r) => setTimeout(r, HANDLER_SIM_CONFIG.loginRetryMs));
    }
    return false;
  }

  private async connect(s: HandlerSession): Promise<void> {
    if (!(await this.login(s)) || this.stopped) return;
    const socket = io(`${this.serverUrl}/live`, {
      auth: { token: s.token, protocol: PROTOCOL_VERSION },
      transports: ['websocket'],
      reconnectionDelayMax: 10_000,
    });
    s.socket = socket;
    socket.on('connect', () => this.log(`[handlers] ${s.handler.id} connected`));
    socket.on('connect_error', (err) => {
      // A refused handshake (bad/expired token) is not retried by socket.io: log in again.
      if (!socket.active) void this.refreshAndReconnect(s, err.message);
    });
    s.timer = setInterval(() => void this.tick(s), this.intervalMs);
    s.timer.unref?.();
  }

  private async refreshAndReconnect(s: HandlerSession, reason: string): Promise<void> {
    if (s.loggingIn || this.stopped) return;
    s.loggingIn = true;
    this.log(`[handlers] ${s.handler.id} handshake refused (${reason}); logging in again`);
    try {
      if (await this.login(s)) {
        if (s.socket) {
          s.socket.auth = { token: s.token, protocol: PROTOCOL_VERSION };
          s.socket.connect();
        }
      }
    } finally {
      s.loggingIn = false;
    }
  }

  private async tick(s: HandlerSession): Promise<void> {
    const now = Date.now();
    if (s.socket && now > s.expiresAt - HANDLER_SIM_CONFIG.tokenRefreshMarginMs && !s.loggingIn) {
      // renew before expiry; the next handshake (reconnect) uses the new token
      s.loggingIn = true;
      try {
        if (await this.login(s)) s.socket.auth = { token: s.token, protocol: PROTOCOL_VERSION };
      } finally {
        s.loggingIn = false;
      }
    }
    if (!s.socket?.connected) return;
    s.socket.emit('handler:position', {
      location: handlerPositionAt(s.handler, now, this.seed),
      accuracyM: HANDLER_SIM_CONFIG.accuracyM,
      ts: now,
      // the server lets a real phone's position win over this one
      simulated: true,
    });
    this.positionsSent++;
  }
}
