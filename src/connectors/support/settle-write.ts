import { describeError, isAuthError, RecordError } from '../../model/index.js';
import { RetryableError } from '../../net/index.js';
import type { WriteOp, WriteResult } from '../../sync/index.js';
import { forbiddenObjectResult } from './forbidden.js';

export interface WriteSettlerOptions {
  /** The service's refusal of one request (not auth, not transient): that record's rejection. */
  readonly requestError: abstract new (
    ...args: never[]
  ) => Error;
  /** Add the record's key to RecordError messages too (the connector's do not name it). */
  readonly keyInRecordErrors?: boolean | undefined;
  /** The service's refusals name the record already (MCP tool errors): leave them as they are. */
  readonly requestErrorsNameRecord?: boolean | undefined;
}

/** Runs one write of a session and answers with its result, whatever the write threw. */
export type SettleWrite = (op: WriteOp, write: () => Promise<WriteResult>) => Promise<WriteResult>;

/**
 * How a SaaS destination's session turns a failed write into its result: a 403 on one object
 * and a refused request reject that record, a transient failure is retried (with the
 * service's Retry-After), and a refused credential pauses, answering every later write of the
 * session `auth` without sending it.
 */
export function writeSettler(options: WriteSettlerOptions): SettleWrite {
  let refused: string | null = null;
  const withKey = (message: string, op: WriteOp) => `${message} (record ${op.key})`;
  return async (op, write) => {
    if (refused !== null) return { status: 'auth', error: refused };
    try {
      return await write();
    } catch (error) {
      const forbidden = forbiddenObjectResult(op, error);
      if (forbidden) return forbidden;
      if (isAuthError(error)) {
        refused = describeError(error);
        return { status: 'auth', error: refused };
      }
      if (error instanceof RecordError) {
        const message = options.keyInRecordErrors ? withKey(error.message, op) : error.message;
        return { status: 'rejected', error: message };
      }
      if (error instanceof options.requestError) {
        const message = options.requestErrorsNameRecord
          ? error.message
          : withKey(error.message, op);
        return { status: 'rejected', error: message };
      }
      if (error instanceof RetryableError) {
        return {
          status: 'retryable',
          error: error.message,
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        };
      }
      return { status: 'retryable', error: describeError(error) };
    }
  };
}
