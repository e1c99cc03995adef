/**
 * What every Redis side store (API keys, plans, roll-ups, history, report schedules, resource
 * assignments) shares on top of the main store's client: before the client's first connection a
 * call waits for it (one wait shared by every early call, at most `firstConnectWaitMs`); later
 * outages fail fast; a connection error becomes a typed StoreUnavailableError naming the store
 * and the operation. Lua scripts are registered once per client with `defineScripts`.
 */
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from './store';
import { DEFAULT_COMMAND_TIMEOUT_MS, isRedisUnavailableError } from './redis-store';

export class RedisSideStore {
  private everReady = false;
  private firstReady: Promise<void> | null = null;

  /** `label` names the store in errors: "redis plan store: createPlanInstance failed: …" */
  constructor(
    readonly client: Redis,
    private readonly label: string,
    private readonly firstConnectWaitMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {}

  whenReady(): Promise<void> {
    if (this.everReady || this.client.status === 'ready') {
      this.everReady = true;
      return Promise.resolve();
    }
    if (this.client.status === 'end') return Promise.reject(new StoreUnavailableError(`${this.label}: the client is closed`));
    this.firstReady ??= new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        this.everReady = true;
        resolve();
      };
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        this.firstReady = null;
        reject(new StoreUnavailableError(`${this.label}: not connected within ${this.firstConnectWaitMs} ms`));
      }, this.firstConnectWaitMs);
      this.client.once('ready', onReady);
    });
    return this.firstReady;
  }

  /** Runs `run` once the client is ready; Redis connection errors become StoreUnavailableError. */
  async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      await this.whenReady();
      return await run();
    } catch (err) {
      if (isRedisUnavailableError(err)) throw new StoreUnavailableError(`${this.label}: ${what} failed: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }
}

/** A Lua script for `defineScripts`; without `numberOfKeys` the caller passes it as the first argument. */
export interface LuaScript {
  lua: string;
  numberOfKeys?: number;
}

/** Registers `scripts` as ioredis custom commands on `client` and returns the client typed as `S`. */
export function defineScripts<S>(client: Redis, scripts: { [K in keyof S]: LuaScript }): S {
  for (const [name, script] of Object.entries(scripts) as [string, LuaScript][]) client.defineCommand(name, script);
  return client as unknown as S;
}
