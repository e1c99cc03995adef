import { describe, expect, it } from 'vitest';
import { decodeStatus, decodeTelemetry } from './payloads';

const LIMITS = { maxDepth: 8, maxReadings: 3 };
const TOKEN = 't'.repeat(43);

describe('MQTT telemetry payloads', () => {
  it('fills deviceId from the topic and the token from the connection', () => {
    const d = decodeTelemetry('{"ts":1,"seq":2,"metrics":{"level":3}}', 'wl-1', TOKEN, LIMITS);
    expect(d).toEqual({ ok: true, value: [{ deviceId: 'wl-1', token: TOKEN, ts: 1, seq: 2, metrics: { level: 3 } }] });
  });

  it('takes a batch and keeps a token the reading carries', () => {
    const d = decodeTelemetry(
      JSON.stringify({
        readings: [
          { ts: 1, seq: 1, metrics: {}, token: 'own' },
          { deviceId: 'wl-1', ts: 2, seq: 2, metrics: {} },
        ],
      }),
      'wl-1',
      TOKEN,
      LIMITS,
    );
    expect(d.ok && d.value.map((r) => (r as { token: string }).token)).toEqual(['own', TOKEN]);
  });

  it('refuses a reading that names another device than its topic', () => {
    const d = decodeTelemetry(
      JSON.stringify({
        readings: [
          { ts: 1, seq: 1, metrics: {} },
          { deviceId: 'wl-2', ts: 2, seq: 2, metrics: {} },
        ],
      }),
      'wl-1',
      TOKEN,
      LIMITS,
    );
    expect(d).toMatchObject({ ok: false, verdict: 'invalid' });
  });

  it('tells malformed JSON from valid JSON of the wrong shape', () => {
    expect(decodeTelemetry('{"ts":', 'wl-1', TOKEN, LIMITS)).toMatchObject({ ok: false, verdict: 'bad_json' });
    for (const p of ['[]', '1', 'null', '"x"', '{"readings":[]}', '{"readings":{}}', '{"readings":[1]}', '{"readings":[{},{},{},{}]}']) {
      expect(decodeTelemetry(p, 'wl-1', TOKEN, LIMITS), p).toMatchObject({ ok: false, verdict: 'invalid' });
    }
  });

  it('refuses deep nesting and forbidden keys before validation', () => {
    expect(decodeTelemetry(`{"ts":1,"seq":1,"metrics":${'['.repeat(20)}${']'.repeat(20)}}`, 'wl-1', TOKEN, LIMITS)).toMatchObject({
      ok: false,
      verdict: 'invalid',
    });
    expect(decodeTelemetry('{"ts":1,"seq":1,"metrics":{},"__proto__":{"x":1}}', 'wl-1', TOKEN, LIMITS)).toMatchObject({
      ok: false,
      verdict: 'invalid',
    });
  });
});

describe('MQTT status payloads', () => {
  it('reads {"online": boolean} and nothing else', () => {
    expect(decodeStatus('{"online":false}', 8)).toEqual({ ok: true, value: { online: false } });
    expect(decodeStatus(Buffer.from('{"online":true}'), 8)).toEqual({ ok: true, value: { online: true } });
    expect(decodeStatus('{"online":"no"}', 8)).toMatchObject({ ok: false, verdict: 'invalid' });
    expect(decodeStatus('offline', 8)).toMatchObject({ ok: false, verdict: 'bad_json' });
  });
});
