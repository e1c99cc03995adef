/** Typed errors: a stable code and a human message; HTTP status derived from the code. */
import type { ErrorCode, IocError } from '../scenes/protocol';
import type { ZodError } from 'zod';

export function iocError(code: ErrorCode, message: string, details?: unknown): IocError {
  return details === undefined ? { code, message } : { code, message, details };
}

export function validationError(err: ZodError, what: string): IocError {
  return iocError(
    'E_VALIDATION',
    `invalid ${what}: ${err.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'} ${i.message}`)
      .join('; ')}`,
    err.issues.slice(0, 20).map((i) => ({ path: i.path, message: i.message, code: i.code })),
  );
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  E_VALIDATION: 400,
  E_PROTOCOL: 400,
  E_UNAUTHORIZED: 401,
  E_FORBIDDEN: 403,
  E_PASSWORD_CHANGE_REQUIRED: 403,
  E_MFA_REQUIRED: 403,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_PAYLOAD_TOO_LARGE: 413,
  E_LOCKED: 423,
  E_RATE_LIMIT: 429,
  E_INTERNAL: 500,
  E_UNAVAILABLE: 503,
  E_QUOTA: 507,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}
