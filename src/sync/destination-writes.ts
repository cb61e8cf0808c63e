import {
  AuthError,
  describeError,
  RecordError,
  recordToJson,
  type SyncRecord,
} from '../model/index.js';
import { RetryableError, withRetry } from '../net/index.js';
import type { DeadLetterWrite, RunStats } from '../store/index.js';
import type { DestinationSession, WriteOp, WriteResult } from './contracts.js';
import type { Pipeline } from './pipeline.js';

/** One planned write and what the link becomes when it succeeds. */
export interface PlannedWrite {
  readonly op: WriteOp;
  readonly hash: string;
  readonly sourceUpdatedMs: number | null;
  readonly record: SyncRecord | null;
}

/** What the destination made of a batch of planned writes. */
export interface WriteOutcome {
  readonly done: Array<{ planned: PlannedWrite; destId: string }>;
  /** Records the destination rejected for their own content. */
  readonly rejected: DeadLetterWrite[];
  /** Writes that still failed after the retries, or that the destination called unavailable. */
  failing: number;
  lastFailure: string | undefined;
  authError: AuthError | null;
}

/** What writing needs of the page writer's options. */
export interface DestinationWriteContext {
  readonly pipeline: Pipeline;
  readonly session: DestinationSession;
  readonly stats: RunStats;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Writes a batch to the destination, retrying what it calls retryable; sorts every write into
 * done, rejected (the record's fault) or failing (the destination's), and stops at an auth failure.
 */
export async function writePlanned(
  writes: readonly PlannedWrite[],
  context: DestinationWriteContext,
): Promise<WriteOutcome> {
  const outcome: WriteOutcome = {
    done: [],
    rejected: [],
    failing: 0,
    lastFailure: undefined,
    authError: null,
  };
  let pending = writes;
  const lastErrors = new Map<string, string>();
  if (pending.length === 0) return outcome;
  try {
    await withRetry(
      async () => {
        const results = await writeBatch(pending, context);
        const retry: PlannedWrite[] = [];
        let retryAfterMs: number | undefined;
        let unavailable = false;
        results.forEach((result, index) => {
          const planned = pending[index]!;
          switch (result.status) {
            case 'ok':
              outcome.done.push({ planned, destId: result.destId });
              break;
            case 'rejected':
              outcome.rejected.push(deadLetterOf(planned, result.error));
              break;
            case 'auth':
              outcome.authError ??= new AuthError(result.error);
              break;
            case 'unavailable':
              unavailable = true;
              outcome.failing++;
              outcome.lastFailure = `${planned.op.kind} ${planned.op.key}: ${result.error}`;
              break;
            case 'retryable':
              lastErrors.set(planned.op.key, result.error);
              retryAfterMs = Math.max(retryAfterMs ?? 0, result.retryAfterMs ?? 0) || undefined;
              retry.push(planned);
              break;
          }
        });
        // Nothing more is written once the destination refused the credential or said it
        // cannot take writes; the writes left count as failing.
        if (outcome.authError) pending = [];
        else if (unavailable) {
          outcome.failing += retry.length;
          pending = [];
        } else pending = retry;
        if (pending.length > 0) {
          throw new RetryableError(`${pending.length} writes to retry`, { retryAfterMs });
        }
      },
      {
        retries: context.pipeline.writeRetries,
        minDelayMs: context.pipeline.retryMinDelayMs,
        signal: context.signal,
        onRetry: () => {
          context.stats.retries++;
        },
        onRateLimitWait: (ms) => {
          context.stats.rateLimitWaitMs += ms;
        },
      },
    );
  } catch (error) {
    if (error instanceof AuthError || (error as { code?: string })?.code === 'AUTH_FAILED') {
      outcome.authError = error as AuthError;
    } else if (!(error instanceof RetryableError)) {
      throw error;
    }
  }
  if (!outcome.authError && pending.length > 0) {
    // Retries ran out: the destination is failing, not these records.
    outcome.failing += pending.length;
    const last = pending.at(-1)!;
    outcome.lastFailure = `${last.op.kind} ${last.op.key}: ${lastErrors.get(last.op.key) ?? 'retries exhausted'}`;
  }
  return outcome;
}

async function writeBatch(
  pending: readonly PlannedWrite[],
  context: DestinationWriteContext,
): Promise<readonly WriteResult[]> {
  let results: readonly WriteResult[];
  try {
    results = await context.session.write(pending.map((planned) => planned.op));
  } catch (error) {
    if ((error as { code?: string })?.code === 'AUTH_FAILED') throw error;
    const message = describeError(error);
    return pending.map(() => ({ status: 'retryable', error: message }) as const);
  }
  if (results.length !== pending.length) {
    throw new RecordError(
      `destination ${context.pipeline.destination.name} returned ${results.length} results for ${pending.length} writes`,
      {},
    );
  }
  return results;
}

function deadLetterOf(planned: PlannedWrite, error: string): DeadLetterWrite {
  return {
    key: planned.op.key,
    error: `${planned.op.kind} failed: ${error}`,
    record: planned.record ? recordToJson(planned.record) : null,
  };
}
