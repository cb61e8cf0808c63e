import { KeepsyncError } from '../model/index.js';

/** A request of the sync client failed: `OFFLINE` (no answer), `AUTH_FAILED`, `SYNC_FAILED`. */
export class SyncClientError extends KeepsyncError {
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** The server's error code (e.g. `COLLECTION_UNKNOWN`). */
  readonly serverCode: string | undefined;

  constructor(
    code: 'OFFLINE' | 'AUTH_FAILED' | 'SYNC_FAILED',
    message: string,
    details: { status?: number; serverCode?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.name = 'SyncClientError';
    this.status = details.status;
    this.serverCode = details.serverCode;
  }
}
