import { describe, expect, it } from 'vitest';
import { commandsAckTopic, commandsTopic, parseDeviceTopic, statusTopic, telemetryTopic } from './topics';

describe('MQTT topic scheme', () => {
  it('names each of a device’s four topics', () => {
    expect(parseDeviceTopic(telemetryTopic('wl-001'))).toEqual({ deviceId: 'wl-001', kind: 'telemetry' });
    expect(parseDeviceTopic(statusTopic('wl-001'))).toEqual({ deviceId: 'wl-001', kind: 'status' });
    expect(parseDeviceTopic(commandsTopic('a:b.c_d'))).toEqual({ deviceId: 'a:b.c_d', kind: 'commands' });
    expect(parseDeviceTopic(commandsAckTopic('wl-001'))).toEqual({ deviceId: 'wl-001', kind: 'commands_ack' });
  });

  it('refuses topics outside the scheme', () => {
    for (const t of [
      '',
      'ioc/v1/',
      'ioc/v1/wl-001',
      'ioc/v1/wl-001/',
      'ioc/v2/wl-001/telemetry',
      'ioc/v1/wl-001/telemetry/extra',
      'ioc/v1//telemetry',
      'ioc/v1/-x/telemetry',
      'ioc/v1/wl 001/telemetry',
      'ioc/v1/wl-001/constructor',
      'ioc/v1/wl-001/__proto__',
      'ioc/v1/wl-001/commands/ack/x',
      `ioc/v1/${'a'.repeat(81)}/telemetry`,
      '$SYS/broker/uptime',
    ]) {
      expect(parseDeviceTopic(t), t).toBeNull();
    }
  });
});
