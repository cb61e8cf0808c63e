/** Stable machine-readable error codes; the same codes travel on the wire. */
export type KeepsyncErrorCode =
  | 'CONFIG_INVALID'
  | 'CONNECTOR_UNKNOWN'
  | 'DEPENDENCY_MISSING'
  | 'RECORD_INVALID'
  | 'CURSOR_INVALID'
  | 'AUTH_FAILED'
  | 'RATE_LIMITED'
  | 'DESTINATION_REJECTED'
  | 'DELETE_GUARD'
  | 'DESTINATION_UNAVAILABLE'
  | 'TOO_MANY_REJECTED'
  | 'LEASE_HELD'
  | 'LEASE_LOST'
  | 'NOT_FOUND'
  | 'STORE_FAILED'
  | 'SECRET_INVALID'
  | 'HLC_INVALID'
  | 'OFFLINE'
  | 'SYNC_FAILED'
  | 'DEPENDENCY_CYCLE'
  | 'ORIGIN_FAILED';

const brand = Symbol.for('keepsync.error');

export interface KeepsyncErrorOptions {
  cause?: unknown;
}

/** The one error family of keepsync: a stable `code`, a message that names the culprit. */
export class KeepsyncError extends Error {
  readonly code: KeepsyncErrorCode;
  readonly [brand] = true;

  constructor(code: KeepsyncErrorCode, message: string, options: KeepsyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeepsyncError';
    this.code = code;
  }
}

/**
 * Only a person can fix it (re-authorize); the engine pauses the unit instead of retrying.
 */
export class AuthError extends KeepsyncError {
  constructor(message: string, options: KeepsyncErrorOptions = {}) {
    super('AUTH_FAILED', message, options);
    this.name = 'AuthError';
  }
}

/**
 * A service's quota for a period is used up (YouTube's daily units): no request succeeds
 * before `resumesAt`, so the engine waits until then instead of failing every run.
 */
export class QuotaExhaustedError extends KeepsyncError {
  readonly resumesAt: Date;

  constructor(message: string, resumesAt: Date, options: KeepsyncErrorOptions = {}) {
    super('RATE_LIMITED', message, options);
    this.name = 'QuotaExhaustedError';
    this.resumesAt = resumesAt;
  }
}

/** A record or one of its fields cannot be synced as it is. */
export class RecordError extends KeepsyncError {
  readonly key: string | undefined;
  readonly field: string | undefined;

  constructor(
    message: string,
    details: { key?: string | undefined; field?: string | undefined },
    options: KeepsyncErrorOptions = {},
  ) {
    super('RECORD_INVALID', message, options);
    this.name = 'RecordError';
    this.key = details.key;
    this.field = details.field;
  }
}

/** Works across realms and duplicated installs, unlike `instanceof`. */
export function isKeepsyncError(value: unknown): value is KeepsyncError {
  return (
    typeof value === 'object' && value !== null && (value as { [brand]?: true })[brand] === true
  );
}

export function isAuthError(value: unknown): value is AuthError {
  return isKeepsyncError(value) && value.code === 'AUTH_FAILED';
}

export function isQuotaExhausted(value: unknown): value is QuotaExhaustedError {
  return (
    isKeepsyncError(value) &&
    value.code === 'RATE_LIMITED' &&
    (value as { resumesAt?: unknown }).resumesAt instanceof Date
  );
}

/** A readable one-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
