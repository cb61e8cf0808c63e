import { AuthError } from '../../model/index.js';
import type { WriteOp, WriteResult } from '../../sync/index.js';

/**
 * A 403: the service will not let this credential touch the object asked for. Outside a
 * write (a listing, a schema read) it pauses the unit like any auth error; see below.
 */
export class ForbiddenError extends AuthError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ForbiddenError';
  }
}

/**
 * A 403 on one existing object (a page or task nobody shared with the integration) is that
 * record's error, not the credential's: the token still works for the others, so the record
 * is rejected and the session goes on. A 403 on a create means the container itself is out
 * of reach, which is the credential's problem: null, and the caller treats it as auth.
 */
export function forbiddenObjectResult(op: WriteOp, error: unknown): WriteResult | null {
  if (!(error instanceof ForbiddenError) || op.kind === 'create') return null;
  return {
    status: 'rejected',
    error: `${error.message} (record ${op.key}: share the object with the integration, or leave it out)`,
  };
}
