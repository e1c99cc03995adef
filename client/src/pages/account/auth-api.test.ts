import { describe, expect, it } from 'vitest';
import { mustEnrol, svgDataUrl } from './auth-api';

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (payload: unknown) => `${b64url({ alg: 'HS256' })}.${b64url(payload)}.sig`;

describe('account auth helpers', () => {
  it('reads the enrol-only claim of a session token (routing only; the server decides)', () => {
    expect(mustEnrol(jwt({ sub: 'boss', mfe: true }))).toBe(true);
    expect(mustEnrol(jwt({ sub: 'boss' }))).toBe(false);
    expect(mustEnrol('not-a-token')).toBe(false);
  });

  it('turns an SVG document into a data: URL an <img> shows (no markup injected into the page)', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><title>二维码</title></svg>';
    const url = svgDataUrl(svg);
    expect(url.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(url.split(',')[1]!, 'base64').toString('utf8')).toBe(svg);
  });
});
