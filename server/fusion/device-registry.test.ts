import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from './device-registry';
import { generateFleet } from '../../scenes/fleet';

describe('DeviceRegistry', () => {
  const [a, b, c] = generateFleet({ count: 3 });

  it('publishes the same map until the registry changes, then a new one, leaving the old one untouched', () => {
    const r = new DeviceRegistry([a!, b!]);
    const first = r.publish();
    expect(r.publish()).toBe(first);
    r.put(c!);
    r.remove(a!.id);
    const second = r.publish();
    expect(second).not.toBe(first);
    expect([...first.keys()]).toEqual([a!.id, b!.id]);
    expect([...second.keys()]).toEqual([b!.id, c!.id]);
    expect(r.publish()).toBe(second);
  });

  it('leaves retired devices out from the start', () => {
    const r = new DeviceRegistry([a!, { ...b!, status: 'retired' }]);
    expect([...r.devices.keys()]).toEqual([a!.id]);
  });
});
