import { describe, expect, it } from 'vitest';
import { base64UrlToBytes } from './push';

describe('Web Push helper', () => {
  it('decodes the base64url VAPID key PushManager needs, padding or not', () => {
    const bytes = Buffer.from(Array.from({ length: 65 }, (_, i) => (i * 37 + 4) % 256));
    expect(Buffer.from(base64UrlToBytes(bytes.toString('base64url')))).toEqual(bytes);
    expect(Buffer.from(base64UrlToBytes('-_8'))).toEqual(Buffer.from([0xfb, 0xff]));
  });
});
