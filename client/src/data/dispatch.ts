/**
 * REST calls of the dispatch loop: handler list, dispatch recommendations, the leader's briefing,
 * photo upload (with the same type/size rules the server enforces, checked first on the device),
 * commands over HTTP (the phone's offline queue) and admin user management.
 *
 * Every call returns a value: `{ ok: true, ... }` or `{ ok: false, error, network }` where
 * `network` = the request never got an HTTP answer (offline, server down).
 */
import type { DistrictCode, Handler, Role } from '@scenes/domain';
import type { Briefing, Command, CommandResult, HandlerRecommendation, PublicUser } from '@scenes/protocol';
import { call, jsonInit as json, type ApiResult } from './rest';

export type { ApiResult };
export type { Briefing, DailyCounts, HandlerRecommendation, PublicUser } from '@scenes/protocol';

/**
 * Whether a listed user signs in with a second factor; null when the list does not say. Reads
 * `mfaEnabled`, or the `mfa.enabled` of a server that still sends the stored record (it should not).
 */
export function userHasMfa(u: PublicUser): boolean | null {
  if (typeof u.mfaEnabled === 'boolean') return u.mfaEnabled;
  const stored = (u as { mfa?: { enabled?: unknown } }).mfa;
  return stored && typeof stored.enabled === 'boolean' ? stored.enabled : null;
}

/** Photo rules, mirrored from the server (which checks them again, by magic bytes). */
export const PHOTO_RULES = {
  allowedTypes: ['image/jpeg', 'image/png', 'image/webp'] as readonly string[],
  /** server limit `maxPhotoBytes` (2 MiB) */
  maxBytes: 2 * 1024 * 1024,
  /** photos per resolve / report */
  maxCount: 3,
} as const;

/** Client-side check of a chosen photo; null = fine, else the reason to show. */
export function photoProblem(file: { type: string; size: number }): { code: 'type' | 'size' } | null {
  if (!PHOTO_RULES.allowedTypes.includes(file.type)) return { code: 'type' };
  if (file.size > PHOTO_RULES.maxBytes) return { code: 'size' };
  return null;
}

export function fetchHandlers(token: string): Promise<ApiResult<{ handlers: Handler[] }>> {
  return call(token, '/api/handlers');
}

/** An account as the people directory shows it (officers, leaders, handlers). */
export interface PersonName {
  username: string;
  displayName: string;
  role: Role;
}

export function fetchPeople(token: string): Promise<ApiResult<{ people: PersonName[] }>> {
  return call(token, '/api/people');
}

/** Display names by account, for timelines and lists (empty when the page may not read them). */
export async function fetchPeopleNames(token: string): Promise<Map<string, string>> {
  const r = await fetchPeople(token);
  return r.ok ? new Map(r.people.map((p) => [p.username, p.displayName])) : new Map();
}

export function fetchRecommendations(
  token: string,
  incidentId: string,
): Promise<ApiResult<{ incidentId: string; recommendations: HandlerRecommendation[] }>> {
  return call(token, `/api/incidents/${encodeURIComponent(incidentId)}/recommendations`);
}

export function fetchBriefing(token: string): Promise<ApiResult<Briefing>> {
  return call(token, '/api/briefing');
}

/** `POST /api/photos` with the raw bytes; the server checks type by magic bytes and the size. */
export function uploadPhoto(token: string, photo: Blob): Promise<ApiResult<{ id: string; bytes: number; contentType: string }>> {
  return call(token, '/api/photos', { method: 'POST', headers: { 'content-type': photo.type }, body: photo });
}

/** `POST /api/commands`: the REST mirror of the socket command (same idempotency). */
export async function postCommand(token: string, command: Command): Promise<CommandResult | { ok: false; network: true; message: string }> {
  const r = await call<Extract<CommandResult, { ok: true }>>(token, '/api/commands', json(command));
  if (r.ok) return r;
  if (r.network) return { ok: false, network: true, message: r.error.message };
  return { ok: false, commandId: command.commandId, error: r.error };
}

/** Photo URL for an <img> (photos need the session token, so they are fetched as blobs). */
export async function fetchPhotoUrl(token: string, photoId: string): Promise<string | null> {
  try {
    const res = await fetch(`/api/photos/${encodeURIComponent(photoId)}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) return null;
    return URL.createObjectURL(await res.blob());
  } catch {
    return null;
  }
}

// --- admin ------------------------------------------------------------------------------------

export function listUsers(token: string): Promise<ApiResult<{ users: PublicUser[] }>> {
  return call(token, '/api/users');
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  team?: string;
  skills?: string[];
  /** officers and leaders: limited to these districts (absent or empty = the whole city) */
  districts?: DistrictCode[];
}

export function createUser(token: string, user: NewUser): Promise<ApiResult<{ user: PublicUser }>> {
  return call(token, '/api/users', json(user));
}

export function updateUser(
  token: string,
  username: string,
  patch: Partial<Pick<PublicUser, 'displayName' | 'disabled' | 'role' | 'team' | 'skills' | 'districts'>> & { password?: string },
): Promise<ApiResult<{ user: PublicUser }>> {
  return call(token, `/api/users/${encodeURIComponent(username)}`, json(patch, 'PATCH'));
}

/** Ends every session of `username` at once (their open sockets are cut); answers how many ended. */
export function revokeUserSessions(token: string, username: string): Promise<ApiResult<{ revoked: number }>> {
  return call(token, `/api/users/${encodeURIComponent(username)}/revoke-sessions`, json({}));
}

/** Removes `username`'s second factor (lost phone): they sign in with the password and enrol again. */
export function resetUserMfa(token: string, username: string): Promise<ApiResult<{ ok: true }>> {
  return call(token, `/api/users/${encodeURIComponent(username)}/mfa-reset`, json({}));
}
