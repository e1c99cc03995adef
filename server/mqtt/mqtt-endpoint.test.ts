import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { defaultClientId } from './mqtt-endpoint';
import { redactedUrl } from './external-client';

const env = { NODE_ENV: 'development' };

describe('MQTT configuration', () => {
  it('turns the embedded broker off and the external client on with IOC_MQTT_URL', () => {
    const c = loadConfig({ ...env, IOC_MQTT_URL: 'mqtts://broker.example:8883', IOC_MQTT_USERNAME: 'ioc', IOC_MQTT_PASSWORD: 'secret' });
    expect(c).toMatchObject({
      mqttPort: null,
      mqttUrl: 'mqtts://broker.example:8883',
      mqttUsername: 'ioc',
      mqttShareGroup: 'ioc',
      mqttClientId: null,
    });
    expect(loadConfig(env)).toMatchObject({ mqttPort: 1884, mqttUrl: null, mqttConnectRatePerS: 1000, mqttConnectBurst: 5000 });
  });

  it('refuses IOC_MQTT_URL together with IOC_MQTT_PORT, and URLs that are not mqtt:// or mqtts://', () => {
    expect(() => loadConfig({ ...env, IOC_MQTT_URL: 'mqtt://127.0.0.1:1883', IOC_MQTT_PORT: '1884' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, IOC_MQTT_URL: 'http://127.0.0.1:1883' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, IOC_MQTT_URL: 'mqtt://x', IOC_MQTT_SHARE_GROUP: 'a/b' })).toThrow(ConfigError);
  });

  it('names the server stably per host and HTTP port, and never prints broker credentials', () => {
    expect(defaultClientId(8080)).toBe(defaultClientId(8080));
    expect(defaultClientId(8080)).not.toBe(defaultClientId(8081));
    expect(defaultClientId(8080)).toMatch(/^ioc-[A-Za-z0-9_.-]+-8080$/);
    expect(redactedUrl('mqtt://ioc:secret@broker:1883')).toBe('mqtt://broker:1883');
  });
});
