/**
 * Who is told of an incident change (scenes/incident-rules.ts `incidentAudience`), over the real
 * server: the handler who filed a field report receives its pushes; another handler hears nothing
 * of it until it is dispatched to them. Absence is shown by order, not by waiting: pushes to one
 * socket arrive in the order they were sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Incident } from '../../scenes/domain';
import type { CommandResult } from '../../scenes/protocol';
import { emitAck, liveSocket, login, startTestServer } from './helpers';

let server: IocServer;
const sockets: Socket[] = [];
let cmdSeq = 0;

/** Every `incident:update` a socket receives, in order, with a wait for the first that matches. */
function collectUpdates(socket: Socket) {
  const seen: Incident[] = [];
  const waiters: { pred: (i: Incident) => boolean; resolve: (i: Incident) => void }[] = [];
  socket.on('incident:update', (i: Incident) => {
    seen.push(i);
    for (const w of waiters.splice(0)) {
      if (w.pred(i)) w.resolve(i);
      else waiters.push(w);
    }
  });
  return {
    seen,
    waitFor(pred: (i: Incident) => boolean): Promise<Incident> {
      const hit = seen.find(pred);
      return hit ? Promise.resolve(hit) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

async function connect(username: string): Promise<Socket> {
  const s = await liveSocket(server, await login(server, username));
  sockets.push(s);
  return s;
}

function command(socket: Socket, body: Record<string, unknown>): Promise<CommandResult> {
  return emitAck<CommandResult>(socket, 'command', { commandId: `aud-${process.pid}-${++cmdSeq}`, ...body });
}

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.close();
});

describe('incident pushes', () => {
  it("a handler's own field report is pushed to that handler, and to no other handler until dispatched to them", async () => {
    const reporter = await connect('handler2');
    const other = await connect('handler3');
    const officer = await connect('officer1');
    const reporterUpdates = collectUpdates(reporter);
    const otherUpdates = collectUpdates(other);

    const created = await command(reporter, {
      type: 'incident.create',
      title: '井盖缺失',
      category: 'manhole',
      scene: 'emergency',
      location: [120.38, 36.07],
      priority: 'P3',
    });
    if (!created.ok || !created.incident) throw new Error(JSON.stringify(created));
    const id = created.incident.id;
    expect(created.incident.reportedBy).toBe('handler2');

    const pushed = await reporterUpdates.waitFor((i) => i.id === id);
    expect(pushed.reportedBy).toBe('handler2');

    const dispatched = await command(officer, { type: 'incident.dispatch', incidentId: id, assignees: ['handler3'] });
    expect(dispatched.ok).toBe(true);
    await otherUpdates.waitFor((i) => i.id === id);
    // the first push of this incident handler3 received is the dispatch to them, not the report
    expect(otherUpdates.seen.filter((i) => i.id === id)[0]?.assignees).toEqual(['handler3']);
    // and the reporter keeps hearing of their report after it went to someone else
    await reporterUpdates.waitFor((i) => i.id === id && i.state === 'dispatched');
  });
});
