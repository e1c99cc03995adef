import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { quietHotNamespaces, silentDebug } from './quiet-debug';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function fakeCreateDebug(enabled: Set<string>) {
  const made: string[] = [];
  const createDebug = Object.assign(
    (namespace: string) => {
      made.push(namespace);
      return Object.assign(() => undefined, { enabled: enabled.has(namespace), namespace });
    },
    { enabled: (namespace: string) => enabled.has(namespace), formatters: { o: 1 } },
  );
  return { createDebug, made };
}

describe('quiet MQTT codec debug loggers', () => {
  it('answers the codec namespaces with a silent logger, and passes every other call and property through', () => {
    const { createDebug, made } = fakeCreateDebug(new Set());
    const quiet = quietHotNamespaces(createDebug);
    const parser = quiet('mqtt-packet:parser');
    expect(parser.enabled).toBe(false);
    expect(parser.namespace).toBe('mqtt-packet:parser');
    expect(parser('parse: %s', 'x')).toBeUndefined();
    expect(made).toEqual([]);
    quiet('socket.io:server');
    expect(made).toEqual(['socket.io:server']);
    expect((quiet as unknown as { formatters: unknown }).formatters).toEqual({ o: 1 });
  });

  it('keeps the real logger of a codec namespace DEBUG enables', () => {
    const { createDebug, made } = fakeCreateDebug(new Set(['mqtt-packet:parser']));
    expect(quietHotNamespaces(createDebug)('mqtt-packet:parser').enabled).toBe(true);
    expect(made).toEqual(['mqtt-packet:parser']);
    expect(silentDebug('a').enabled).toBe(false);
  });

  it('is in place before the server loads the codec (server/app.ts imports it first)', async () => {
    const script = [
      "await import('./server/app.ts');",
      "const q = await import('./server/mqtt/quiet-debug.ts');",
      "const { createRequire } = await import('node:module');",
      "const req = createRequire(process.cwd() + '/package.json');",
      'const codec = Object.keys(req.cache).some((f) => /mqtt-packet[\\\\/]parser\\.js$/.test(f));',
      "console.log(JSON.stringify({ quieted: q.codecDebugQuieted(), codec, made: req('debug')('mqtt-packet:parser').enabled }));",
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, DEBUG: '' },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ quieted: true, codec: true, made: false });
  }, 90_000);
});
