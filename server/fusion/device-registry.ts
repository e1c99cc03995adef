/**
 * The live device registry (active and maintenance devices; a retired device leaves it) and what
 * scene builders see of it: a copy, replaced after a change. Builders memoise per-device work on
 * the registry map's identity, so a published map is never mutated; many edits between two builds
 * (a bulk import) cost one copy, not one per edit.
 */
import type { Device } from '../../scenes/domain';

export class DeviceRegistry {
  readonly devices = new Map<string, Device>();
  private published: ReadonlyMap<string, Device>;
  private changed = false;

  constructor(devices: readonly Device[]) {
    for (const d of devices) if (d.status !== 'retired') this.devices.set(d.id, d);
    this.published = new Map(this.devices);
  }

  /** Adds or replaces a device; returns the previous version. */
  put(device: Device): Device | undefined {
    const prev = this.devices.get(device.id);
    this.devices.set(device.id, device);
    this.changed = true;
    return prev;
  }

  /** Removes a device; returns it (undefined when unknown). */
  remove(id: string): Device | undefined {
    const device = this.devices.get(id);
    if (device) {
      this.devices.delete(id);
      this.changed = true;
    }
    return device;
  }

  /** The registry as builders see it: the same map until the registry changes. */
  publish(): ReadonlyMap<string, Device> {
    if (this.changed) {
      this.changed = false;
      this.published = new Map(this.devices);
    }
    return this.published;
  }
}
