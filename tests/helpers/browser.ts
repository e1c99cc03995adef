/**
 * Browser-test helpers: a headless Chromium (playwright-core + the system chromium), a real City
 * IOC server serving the built client, and browser contexts that are already signed in as a
 * given demo user (the session is put in sessionStorage the way the login page stores it).
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { IocServer, StartOptions } from '../../server/app';
import type { ServerConfig } from '../../server/config';
import { DEMO_PASSWORD, startTestServer } from '../../server/test/helpers';

export const CHROMIUM_PATH = process.env.IOC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * True when the browser tests must be skipped: Chromium is missing outside CI. The skip is loud
 * and names the package; in CI (`process.env.CI` truthy) a missing Chromium fails the run instead.
 */
export function browserTestsSkipped(): boolean {
  if (existsSync(CHROMIUM_PATH)) return false;
  const message = `Chromium not found at ${CHROMIUM_PATH} (install Debian's package: apt-get install chromium, or set IOC_CHROMIUM)`;
  if (process.env.CI) throw new Error(`${message} — browser tests cannot run in CI without it`);
  console.warn(`\n  ⚠ SKIPPING BROWSER TESTS: ${message}\n`);
  return true;
}

/** Launch flags for Debian's Chromium here (software GL; no network chatter). Shared with bench/. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-gl=swiftshader',
  '--enable-unsafe-swiftshader',
];

/**
 * How long a page load may take here: a software-GL (swiftshader) page with the map costs 5–11 s on
 * a quiet machine, several times that with the unit tests on the other core.
 */
export const PAGE_LOAD_MS = 60_000;

/** Real device sizes the pages are designed for, CSS px. */
export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  tablet: { width: 1180, height: 820 },
  desktop: { width: 1920, height: 1080 },
} as const;

/** The built client: `client/dist` (built by the test global setup), or IOC_TEST_CLIENT_DIST. */
export function clientDist(): string {
  return process.env.IOC_TEST_CLIENT_DIST ?? path.resolve(import.meta.dirname, '../../client/dist');
}

export function clientBuilt(): boolean {
  return existsSync(path.join(clientDist(), 'index.html'));
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile: `launch` always starts from a new temporary user-data-dir (it
 * refuses `--user-data-dir`; that flag is for a persistent context, which would allow only one
 * context while these tests need one per person). Temp files go under a per-run TMPDIR, removed on close.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const runDir = mkdtempSync(path.join(tmpdir(), 'ioc-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, TMPDIR: runDir },
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

export async function startBrowserTestServer(overrides: Partial<ServerConfig> = {}, options: StartOptions = {}): Promise<IocServer> {
  return startTestServer({ clientDist: clientDist(), ...overrides }, options);
}

/** A test file's Chromium and server (`browserSuite`); `browser` and `server` are there once its tests run. */
export interface BrowserSuite {
  /** Chromium is missing outside CI (`browserTestsSkipped`): `describe.skipIf(suite.skipped)` */
  readonly skipped: boolean;
  readonly browser: Browser;
  readonly server: IocServer;
}

/**
 * The setup every browser test file shares: before its tests a headless Chromium and a real
 * server serving the built client (`overrides`, `options` as for startBrowserTestServer), both
 * closed after them; nothing is started when the browser tests are skipped.
 */
export function browserSuite(overrides: Partial<ServerConfig> = {}, options: StartOptions = {}): BrowserSuite {
  const skipped = browserTestsSkipped();
  let tb: TestBrowser | undefined;
  let server: IocServer | undefined;
  beforeAll(async () => {
    if (skipped) return;
    if (!clientBuilt()) throw new Error(`client not built at ${clientDist()} (run npx vite build)`);
    tb = await launchBrowser();
    server = await startBrowserTestServer(overrides, options);
  });
  afterAll(async () => {
    await server?.close();
    await tb?.close();
  });
  return {
    skipped,
    get browser() {
      if (!tb) throw new Error('the browser starts in beforeAll (use it inside the tests)');
      return tb.browser;
    },
    get server() {
      if (!server) throw new Error('the server starts in beforeAll (use it inside the tests)');
      return server;
    },
  };
}

interface LoginBody {
  token: string;
  role: string;
  username: string;
  displayName: string;
  expiresAt: number;
}

/** A browser context signed in as `username` (sessionStorage 'ioc.session', as the login page stores it). */
export async function signedInContext(
  browser: Browser,
  server: IocServer,
  username: string,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const r = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (!r.ok) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  const s = (await r.json()) as LoginBody;
  const context = await browser.newContext({ baseURL: server.url, ...options });
  const session = JSON.stringify({ token: s.token, role: s.role, username: s.username, displayName: s.displayName, expiresAt: s.expiresAt });
  await context.addInitScript((value: string) => {
    try {
      sessionStorage.setItem('ioc.session', value);
    } catch {
      // about:blank has no storage
    }
  }, session);
  return context;
}

/** Console errors of a page, for assertions and debugging. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** Wait until `predicate` is true (polling), or fail after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
