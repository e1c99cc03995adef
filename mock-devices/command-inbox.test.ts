import { describe, expect, it } from 'vitest';
import type { DeviceCommandMessage } from '../scenes/device-commands';
import { COMMAND_MEMORY_PER_DEVICE, CommandInbox } from './command-inbox';

const NOW = 1_800_000_000_000;
const msg = (commandId: string, over: Partial<DeviceCommandMessage> = {}): string =>
  JSON.stringify({ commandId, deviceId: 'pump-1', name: 'start', params: {}, issuedAt: NOW, expiresAt: NOW + 10_000, ...over });

describe('CommandInbox', () => {
  it('acts once per command id and answers a repeat with the same ack', () => {
    const calls: string[] = [];
    const inbox = new CommandInbox((_id, m) => (calls.push(m.commandId), { status: 'ok' }));
    const first = inbox.receive('pump-1', msg('c-1'), NOW);
    const again = inbox.receive('pump-1', Buffer.from(msg('c-1')), NOW + 5_000);
    expect(first).toMatchObject({ kind: 'ack', acted: true, repeated: false, ack: { commandId: 'c-1', status: 'ok', ts: NOW } });
    expect(again).toMatchObject({ kind: 'ack', acted: false, repeated: true, readings: [] });
    expect(again.kind === 'ack' && again.ack).toEqual(first.kind === 'ack' && first.ack);
    expect(calls).toEqual(['c-1']);
    // the same id on another device is another command
    inbox.receive('pump-2', msg('c-1', { deviceId: 'pump-2' }), NOW);
    expect(calls).toEqual(['c-1', 'c-1']);
  });

  it('refuses an expired command (still valid at exactly expiresAt) without acting', () => {
    const calls: string[] = [];
    const inbox = new CommandInbox((_id, m) => (calls.push(m.commandId), { status: 'ok' }));
    expect(inbox.receive('pump-1', msg('c-1'), NOW + 10_001)).toMatchObject({ ack: { status: 'failed', message: 'expired' }, acted: false });
    expect(inbox.receive('pump-1', msg('c-2'), NOW + 10_000)).toMatchObject({ ack: { status: 'ok' }, acted: true });
    expect(calls).toEqual(['c-2']);
  });

  it('ignores what is not a command message', () => {
    const inbox = new CommandInbox(() => ({ status: 'ok' }));
    for (const bad of [
      '',
      'null',
      '[]',
      '{"commandId":1}',
      msg('c 1'),
      msg('c-1', { name: 'explode' as never }),
      msg('c-1', { params: { position: 101 } }),
    ])
      expect(inbox.receive('pump-1', bad, NOW).kind).toBe('invalid');
    expect(inbox.size()).toEqual({ devices: 0, commands: 0 });
  });

  it('caps the ack message and turns a throwing handler into `failed`', () => {
    const inbox = new CommandInbox(() => {
      throw new Error('x'.repeat(500));
    });
    const r = inbox.receive('pump-1', msg('c-1'), NOW);
    expect(r.kind === 'ack' && r.ack.status).toBe('failed');
    expect(r.kind === 'ack' && r.ack.message?.length).toBe(200);
  });

  it(`remembers at most ${COMMAND_MEMORY_PER_DEVICE} ids per device (oldest forgotten first), and nothing for devices without commands`, () => {
    let calls = 0;
    const inbox = new CommandInbox(() => (calls++, { status: 'ok' }));
    for (let i = 0; i < 200; i++) inbox.receive('pump-1', msg(`c-${i}`), NOW);
    expect(inbox.size()).toEqual({ devices: 1, commands: COMMAND_MEMORY_PER_DEVICE });
    inbox.receive('pump-1', msg('c-199'), NOW);
    expect(calls).toBe(200);
    inbox.receive('pump-1', msg('c-0'), NOW); // long forgotten: acted on again
    expect(calls).toBe(201);
    inbox.forget('pump-1');
    expect(inbox.size()).toEqual({ devices: 0, commands: 0 });
  });
});
