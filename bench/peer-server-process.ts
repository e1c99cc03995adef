/**
 * Fan-out peers, each alone in its own process like the server under test:
 * - `socketio`: a bare Socket.IO server doing `io.emit` of the pre-built frame (also the peer of
 *   heap per connection: `gcHeap`, in a process started with --expose-gc);
 * - `ws`: a bare `ws` server sending one pre-serialised string to every client.
 * Both use the same closed-loop blast as City IOC (bench/blast.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { WebSocketServer, type WebSocket } from 'ws';
import { childOptions, serveRpc } from './child-rpc';
import { runBlast, type BlastParams } from './blast';

export interface PeerServerOptions {
  kind: 'socketio' | 'ws';
}

const opts = childOptions<PeerServerOptions>();
const http = createServer();
const acked = new Map<unknown, number>();
let emit: (msg: Record<string, unknown>) => void;
let clients: () => number;
let closeAll: () => Promise<void>;

if (opts.kind === 'socketio') {
  const io = new IoServer(http, { serveClient: false });
  io.on('connection', (socket) => {
    socket.on('bench:ack', (n: unknown) => {
      if (typeof n === 'number') acked.set(socket.id, n);
    });
    socket.on('disconnect', () => acked.delete(socket.id));
  });
  emit = (msg) => io.emit('scene:delta', msg);
  clients = () => io.sockets.sockets.size;
  closeAll = () => new Promise<void>((r) => io.close(() => r()));
} else {
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data) => {
      const n = Number(data.toString());
      if (Number.isFinite(n)) acked.set(ws, n);
    });
    ws.on('close', () => acked.delete(ws));
  });
  emit = (msg) => {
    const text = JSON.stringify(msg);
    for (const c of wss.clients) c.send(text);
  };
  clients = () => wss.clients.size;
  closeAll = async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => http.close(() => r()));
  };
}

await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
const port = (http.address() as AddressInfo).port;

const rpc = serveRpc(
  {
    clients: () => clients(),
    /** heap after a full GC (needs --expose-gc), bytes: the heap-per-connection peer */
    gcHeap: () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) return null;
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    },
    blast: (p: BlastParams) => {
      acked.clear();
      return runBlast(p, emit, () => [...acked.values()]);
    },
  },
  closeAll,
);
process.stdout.write(`BENCH_SERVER_PORT=${port}\n`);
rpc.ready({ port, url: `http://127.0.0.1:${port}` });
