/**
 * Ask the OS for a currently unused TCP port on 127.0.0.1.
 *
 * The port is released before this resolves, so another process may grab it in between; callers
 * that bind it should retry with a fresh port on EADDRINUSE.
 */
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: listening socket has no TCP address'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
