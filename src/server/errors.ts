/** Machine-readable codes of the sync protocol's error bodies (`{ error: { code, message } }`). */
export type SyncErrorCode =
  | 'AUTH_REQUIRED'
  | 'AUTH_FAILED'
  | 'AUTH_EXPIRED'
  | 'AUTH_UNAVAILABLE'
  | 'FORBIDDEN'
  | 'FULL_RESYNC_DISABLED'
  | 'INVALID_JSON'
  | 'REQUEST_INVALID'
  | 'COLLECTION_UNKNOWN'
  | 'SINCE_INVALID'
  | 'CURSOR_INVALID'
  | 'LIMIT_INVALID'
  | 'PAYLOAD_TOO_LARGE'
  | 'REQUEST_ABORTED'
  | 'NOT_FOUND'
  | 'UPGRADE_REQUIRED'
  | 'INTERNAL';

const brand = Symbol.for('keepsync.sync-http-error');

/** An error that becomes an HTTP response (or a WebSocket error frame) as it is. */
export class SyncHttpError extends Error {
  readonly status: number;
  readonly code: SyncErrorCode;
  readonly [brand] = true;

  constructor(status: number, code: SyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyncHttpError';
    this.status = status;
    this.code = code;
  }
}

export function isSyncHttpError(value: unknown): value is SyncHttpError {
  return (
    typeof value === 'object' && value !== null && (value as { [brand]?: true })[brand] === true
  );
}

export function errorBody(
  code: string,
  message: string,
): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/**
 * Thrown by a conflict resolver to refuse a change for good: the change comes back
 * `rejected` with this message, and the client must discard it.
 */
export class ConflictRejection extends Error {
  readonly code: string;

  constructor(message: string, code = 'CONFLICT_REJECTED') {
    super(message);
    this.name = 'ConflictRejection';
    this.code = code;
  }
}
