/**
 * Remote control from the officer's console in a real browser (issue 13): fake pump stations
 * connected on the Socket.IO `/device` namespace; the officer opens the 设备控制 tab, opens a
 * pump's card and clicks 启动 → the device receives the command and acknowledges → the card
 * shows 已确认. A pump that never answers shows 超时 (a short server timeout), after the
 * confirm step that 停止 asks for.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { Page } from 'playwright-core';
import type { Device } from '../../scenes/domain';
import type { DeviceCommandMessage } from '../../scenes/device-commands';
import { PROTOCOL_VERSION } from '../../scenes/protocol';
import { DEV_DEVICE_SECRET, deviceToken } from '../../server/device-token';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS } from '../helpers/browser';

const SHOTS = process.env.IOC_SCREENSHOT_DIR ?? '/tmp/shots';
/** generous: Chromium renders the map with software GL on a small, busy machine */
const STEP_TIMEOUT_MS = 45_000;
/** Short on purpose: the silent pump must time out within the test. */
const COMMAND_TIMEOUT_MS = 1_500;

const suite = browserSuite({ deviceCommandTimeoutMs: COMMAND_TIMEOUT_MS });
const devices: Socket[] = [];

afterAll(() => {
  for (const s of devices) s.disconnect();
});

/** Evidence only: a screenshot that times out on a loaded machine must not fail the test. */
async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), timeout: 10_000 }).catch(() => undefined);
}

interface FakeDevice {
  socket: Socket;
  received: DeviceCommandMessage[];
}

/** A pump on `/device` that reports once (so it is online) and acknowledges commands when `answers`. */
async function connectFakeDevice(device: Device, answers: boolean): Promise<FakeDevice> {
  const token = deviceToken(DEV_DEVICE_SECRET, device.id);
  const socket = io(`${suite.server.url}/device`, {
    auth: { deviceId: device.id, token, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  devices.push(socket);
  const received: DeviceCommandMessage[] = [];
  socket.on('command', (message: DeviceCommandMessage) => {
    received.push(message);
    if (answers) socket.emit('command:ack', { commandId: message.commandId, status: 'ok' }, () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const reading = { deviceId: device.id, ts: Date.now(), seq: 1, metrics: { running: 0, flow: 0 }, token };
  const r = (await socket.timeout(5_000).emitWithAck('readings', { readings: [reading] })) as { ok: boolean; accepted?: number };
  expect(r).toMatchObject({ ok: true, accepted: 1 });
  return { socket, received };
}

describe.skipIf(suite.skipped)('device control in the browser', () => {
  it('starts a pump from the console: the device acknowledges and the card shows 已确认; a silent pump shows 超时', async () => {
    // the longest ids first: the row of the commanded pump must keep kind · id · district on one line beside its state chip
    const pumps = [...suite.server.fusion.devices.values()]
      .filter((d) => d.kind === 'pump-station' && d.status !== 'maintenance')
      .sort((a, b) => b.id.length - a.id.length);
    expect(pumps.length).toBeGreaterThanOrEqual(2);
    const [obedient, silent] = pumps;
    const good = await connectFakeDevice(obedient, true);
    const mute = await connectFakeDevice(silent, false);

    const ctx = await signedInContext(suite.browser, suite.server, 'officer1', { viewport: VIEWPORTS.desktop });
    const page = await ctx.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const errors = collectConsoleErrors(page);
    await page.goto('/console');
    await page.getByTestId('console').waitFor({ timeout: STEP_TIMEOUT_MS });

    // the 设备控制 tab lists the pump as online
    await page.getByTestId('tab-device-control').click();
    const row = page.locator(`[data-testid=device-control-list] li[data-device-id="${obedient.id}"]`);
    await row.locator('[data-testid=device-link]', { hasText: '在线' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot(page, 'device-control-panel');

    // its card: 启动 (no confirm step) → 已确认
    // the name, not the middle of the row: the row's own buttons are there
    await row.locator('.name').click();
    const card = page.getByTestId('device-control');
    await card.waitFor({ timeout: STEP_TIMEOUT_MS });
    await card.locator('[data-testid=command-button][data-command=start]').click();
    await card.locator('[data-testid=device-commands] [data-testid=command-state][data-state=acknowledged]').waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await card.locator('[data-testid=device-commands] [data-testid=command-state]').innerText()).toBe('已确认');
    expect(good.received.map((m) => [m.deviceId, m.name])).toEqual([[obedient.id, 'start']]);
    // the history shows who sent what, by name (officer1 is 值班员 王磊)
    const history = card.getByTestId('command-history');
    await history.locator('li', { hasText: '王磊' }).filter({ hasText: '启动' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await history.getByTestId('command-actor').first().getAttribute('title')).toContain('officer1');
    await shot(page, 'device-control-card-acknowledged');
    // its row in the list shows the same state, and the row's kind · id · district stay on one line beside it
    await row.locator('[data-testid=command-state][data-state=acknowledged]').waitFor({ timeout: STEP_TIMEOUT_MS });
    const sub = await row
      .locator('.sub')
      .evaluate((el) => ({ height: el.getBoundingClientRect().height, line: parseFloat(getComputedStyle(el).lineHeight) || 0 }));
    const lineHeight = sub.line > 0 ? sub.line : 18;
    expect(sub.height).toBeLessThan(1.5 * lineHeight);

    // the silent pump: 停止 asks first, then 已发送 → 超时
    await page.locator(`[data-testid=device-control-list] li[data-device-id="${silent.id}"] .name`).click();
    await card.locator(`[data-testid=device-commands][data-device-id="${silent.id}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    await card.locator('[data-testid=command-button][data-command=stop]').click();
    await card.getByTestId('command-confirm-box').waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot(page, 'device-control-confirm');
    expect(mute.received).toHaveLength(0);
    await card.getByTestId('command-confirm').click();
    await card.locator('[data-testid=device-commands] [data-testid=command-state][data-state=timed_out]').waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await card.locator('[data-testid=device-commands] [data-testid=command-state]').innerText()).toBe('超时');
    expect(mute.received.map((m) => m.name)).toEqual(['stop']);
    await shot(page, 'device-control-card-timed-out');

    expect(errors).toEqual([]);
    await ctx.close();
  }, 240_000);
});
