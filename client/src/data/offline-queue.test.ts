import { describe, expect, it } from 'vitest';
import type { Command, CommandResult } from '@scenes/protocol';
import { createMemoryQueueStorage, createOfflineQueue, type SendOutcome } from './offline-queue';

function accept(id: string): Command {
  return { type: 'incident.accept', commandId: `cmd-${id}-0000`, incidentId: 'INC-1' };
}

function resolveCmd(id: string): Command {
  return { type: 'incident.resolve', commandId: `cmd-${id}-0000`, incidentId: 'INC-1', note: 'fixed' };
}

/** A server that answers from a script; `online` false = network failure. */
function fakeServer() {
  const applied = new Set<string>();
  const server = {
    online: true,
    sent: [] as Command[],
    refuse: new Map<string, CommandResult>(),
    uploads: 0,
    async send(c: Command): Promise<SendOutcome> {
      if (!server.online) return { ok: false, network: true, message: 'offline' };
      server.sent.push(c);
      const refusal = server.refuse.get(c.commandId);
      if (refusal) return refusal;
      const duplicate = applied.has(c.commandId);
      applied.add(c.commandId);
      return { ok: true, commandId: c.commandId, duplicate };
    },
    async upload(_b: Blob) {
      if (!server.online) return { ok: false as const, network: true, message: 'offline' };
      server.uploads++;
      return { ok: true as const, id: `PH-${server.uploads}` };
    },
    applied,
  };
  return server;
}

function setup() {
  const storage = createMemoryQueueStorage();
  const server = fakeServer();
  let t = 1000;
  const queue = createOfflineQueue({ storage, sendCommand: server.send, uploadPhoto: server.upload, now: () => t++ });
  return { storage, server, queue };
}

describe('offline queue', () => {
  it('stores an action before sending it and removes it once the server applied it', async () => {
    const { storage, server, queue } = setup();
    await queue.enqueue(accept('a'));
    await queue.flush();
    expect(server.applied.has('cmd-a-0000')).toBe(true);
    expect(storage.items.size).toBe(0);
    expect(queue.snapshot().pending).toEqual([]);
  });

  it('keeps actions taken offline, in order, and replays each exactly once on reconnect', async () => {
    const { storage, server, queue } = setup();
    server.online = false;
    await queue.enqueue(accept('a'));
    await queue.enqueue(resolveCmd('b'));
    await queue.flush();
    expect(queue.snapshot().pending.map((p) => p.commandId)).toEqual(['cmd-a-0000', 'cmd-b-0000']);
    expect(storage.items.size).toBe(2);
    expect(queue.snapshot().pending[0]!.lastError).toBe('offline');

    server.online = true;
    const r = await queue.flush();
    expect(r).toEqual({ sent: 2, dropped: 0, remaining: 0 });
    expect(server.sent.map((c) => c.commandId)).toEqual(['cmd-a-0000', 'cmd-b-0000']);
    await queue.flush();
    expect(server.sent).toHaveLength(2);
  });

  it('counts a replay answered with duplicate:true as done', async () => {
    const { server, queue } = setup();
    server.applied.add('cmd-a-0000'); // the first send got through but its answer was lost
    await queue.enqueue(accept('a'));
    await queue.flush();
    expect(queue.snapshot().pending).toEqual([]);
    expect(queue.snapshot().dropped).toEqual([]);
  });

  it('drops an action the server refuses with E_CONFLICT, keeps its message, and goes on with the next', async () => {
    const { server, queue } = setup();
    server.online = false;
    await queue.enqueue(accept('a'));
    await queue.enqueue(resolveCmd('b'));
    server.refuse.set('cmd-a-0000', { ok: false, commandId: 'cmd-a-0000', error: { code: 'E_CONFLICT', message: 'incident was reassigned' } });
    server.online = true;
    const r = await queue.flush();
    expect(r).toMatchObject({ sent: 1, dropped: 1, remaining: 0 });
    expect(queue.snapshot().dropped[0]!.error.message).toBe('incident was reassigned');
    queue.dismissDropped();
    expect(queue.snapshot().dropped).toEqual([]);
  });

  it('stops at a transient server error so a later action never overtakes an earlier one', async () => {
    const { server, queue } = setup();
    server.online = false;
    await queue.enqueue(accept('a'));
    await queue.enqueue(resolveCmd('b'));
    server.online = true;
    server.refuse.set('cmd-a-0000', { ok: false, error: { code: 'E_INTERNAL', message: 'store down' } });
    const r = await queue.flush();
    expect(r).toMatchObject({ sent: 0, remaining: 2 });
    expect(server.sent.map((c) => c.commandId)).toEqual(['cmd-a-0000']);
  });

  it('uploads photos taken offline before sending the command, and never twice', async () => {
    const { server, queue } = setup();
    server.online = false;
    await queue.enqueue({ ...resolveCmd('p'), photos: [] } as Command, [
      new Blob(['x'], { type: 'image/png' }),
      new Blob(['y'], { type: 'image/png' }),
    ]);
    await queue.flush();
    expect(server.uploads).toBe(0);
    server.online = true;
    await queue.flush();
    expect(server.uploads).toBe(2);
    const sent = server.sent[0] as Extract<Command, { type: 'incident.resolve' }>;
    expect(sent.photos).toEqual(['PH-1', 'PH-2']);
  });

  it('reloads what a previous page session left queued, oldest first', async () => {
    const { storage, server } = setup();
    server.online = false;
    const first = createOfflineQueue({ storage, sendCommand: server.send, uploadPhoto: server.upload, now: () => 5 });
    await first.enqueue(accept('a'));
    await first.enqueue(resolveCmd('b'));
    await first.flush();
    const second = createOfflineQueue({ storage, sendCommand: server.send, uploadPhoto: server.upload });
    await second.load();
    expect(second.snapshot().pending.map((p) => p.commandId)).toEqual(['cmd-a-0000', 'cmd-b-0000']);
    server.online = true;
    await second.flush();
    expect(server.sent.map((c) => c.commandId)).toEqual(['cmd-a-0000', 'cmd-b-0000']);
  });
});
