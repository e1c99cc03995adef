import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config';
import { NODE_ID_PATTERN, resolveNodeId } from './node-identity';

describe('resolveNodeId', () => {
  it('takes IOC_NODE_ID when it is set', () => {
    expect(resolveNodeId({ IOC_NODE_ID: 'ioc-node_1.a' }, 8080)).toBe('ioc-node_1.a');
  });

  it('refuses an IOC_NODE_ID with characters outside A-Z a-z 0-9 . _ - or longer than 64', () => {
    expect(() => resolveNodeId({ IOC_NODE_ID: 'node:1' }, 8080)).toThrow(ConfigError);
    expect(() => resolveNodeId({ IOC_NODE_ID: 'node 1' }, 8080)).toThrow(ConfigError);
    expect(() => resolveNodeId({ IOC_NODE_ID: 'n'.repeat(65) }, 8080)).toThrow(ConfigError);
  });

  it('derives <hostname>-<port>-<4 hex> otherwise, different at each start', () => {
    const a = resolveNodeId({}, 8081, 'ioc-host');
    const ids = new Set(Array.from({ length: 20 }, () => resolveNodeId({}, 8081, 'ioc-host')));
    expect(a).toMatch(/^ioc-host-8081-[0-9a-f]{4}$/);
    expect(ids.size).toBeGreaterThan(1);
  });

  it('derives an id that matches the node-id pattern from any host name', () => {
    const id = resolveNodeId({}, 65535, `ünïcode host:${'x'.repeat(100)}`);
    expect(id).toMatch(NODE_ID_PATTERN);
    expect(resolveNodeId({ IOC_NODE_ID: '' }, 8080, '')).toMatch(/^node-8080-[0-9a-f]{4}$/);
  });
});
