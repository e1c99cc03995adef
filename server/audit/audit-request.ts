/**
 * Who did it, from an HTTP request: the session's user and role, the source address (after the
 * trusted-proxy rule of server/guard.ts) and the user agent — the first four fields of every
 * audit record made by a REST route.
 */
import type { Request } from 'express';
import type { Role } from '../../scenes/domain';
import { sourceOf } from '../guard';
import type { AuditEntry } from './audit';

/** longest user agent kept in a record, characters (a header can be kilobytes) */
export const AUDIT_USER_AGENT_MAX_CHARS = 256;

export type AuditWho = Pick<AuditEntry, 'actor' | 'role' | 'source' | 'userAgent'>;

export function userAgentOf(header: string | string[] | undefined): string | undefined {
  const ua = Array.isArray(header) ? header.join(' ') : header;
  return ua ? ua.slice(0, AUDIT_USER_AGENT_MAX_CHARS) : undefined;
}

export function auditWho(req: Request & { user?: { username: string; role: Role } }): AuditWho {
  return {
    actor: req.user?.username ?? 'anonymous',
    ...(req.user ? { role: req.user.role } : {}),
    source: sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']),
    ...(userAgentOf(req.headers['user-agent']) ? { userAgent: userAgentOf(req.headers['user-agent']) } : {}),
  };
}
