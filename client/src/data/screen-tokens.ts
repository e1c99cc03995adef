/**
 * Kiosk screen tokens (issue 12), admin only: `/api/screen-tokens`. The token itself is answered
 * once, at creation; the list never carries it.
 */
import type { ScreenSceneId } from '@scenes/domain';
import { call, jsonInit, type ApiResult } from './rest';

export interface ScreenToken {
  sessionId: string;
  name: string;
  scenes: ScreenSceneId[];
  /** epoch ms */
  createdTs: number;
  createdBy: string;
  /** epoch ms of the wall's last handshake or request */
  lastSeenTs: number;
  /** epoch ms */
  expiresTs: number;
}

export function listScreenTokens(token: string): Promise<ApiResult<{ screenTokens: ScreenToken[] }>> {
  return call(token, '/api/screen-tokens');
}

export function createScreenToken(
  token: string,
  input: { name: string; scenes?: ScreenSceneId[] },
): Promise<ApiResult<{ token: string; expiresAt: number; screenToken: ScreenToken }>> {
  return call(token, '/api/screen-tokens', jsonInit(input));
}

export function revokeScreenToken(token: string, sessionId: string): Promise<ApiResult<{ ok: true }>> {
  return call(token, `/api/screen-tokens/${encodeURIComponent(sessionId)}`, { method: 'DELETE' });
}

/** The wall's address with its token: the router stores the token and strips it from the URL. */
export function screenUrl(origin: string, scene: ScreenSceneId, token: string): string {
  return `${origin}/screen/${scene}?token=${encodeURIComponent(token)}`;
}
