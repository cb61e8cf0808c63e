import { ConflictRejection, type SyncHttpError } from './errors.js';
import { errorText } from './hub.js';
import type {
  IncomingDecision,
  IncomingHook,
  SyncLogger,
  SyncOperation,
  SyncUser,
} from './options.js';
import { jsonDepth, MAX_DATA_DEPTH, type WireChange } from './protocol.js';
import type { ChangeResult } from './store/types.js';

export interface ScreenDeps {
  readonly logger: SyncLogger;
  /** Why this user may not touch this collection (unknown or forbidden), or null. */
  readonly refusal: (
    user: SyncUser,
    operation: SyncOperation,
    collection: string,
  ) => Promise<SyncHttpError | null>;
  /** The incoming-document hook of a collection, if any. */
  readonly incomingHook: (collection: string) => IncomingHook | undefined;
}

/** What screening decided for each change of a push, by index. */
export interface Screened {
  /** The change's `rejected` result, or null when it goes on to be applied. */
  readonly rejections: Array<ChangeResult | null>;
  /** The data to store instead of what was pushed (the hook's), or undefined. */
  readonly stored: Array<Record<string, unknown> | undefined>;
}

function isPlainData(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Screens a push before its transaction: a change in a collection the caller may not push to
 * is refused, then the collection's incoming hook may rewrite or refuse each remaining change.
 */
export async function screenChanges(
  deps: ScreenDeps,
  user: SyncUser,
  changes: readonly WireChange[],
): Promise<Screened> {
  const refusals = new Map<string, SyncHttpError | null>();
  const rejections: Array<ChangeResult | null> = [];
  const stored: Array<Record<string, unknown> | undefined> = [];
  for (const change of changes) {
    if (!refusals.has(change.collection)) {
      refusals.set(change.collection, await deps.refusal(user, 'push', change.collection));
    }
    const base = { doc_id: change.doc_id, collection: change.collection };
    const refusal = refusals.get(change.collection);
    if (refusal) {
      rejections.push({ ...base, status: 'rejected', code: refusal.code, error: refusal.message });
      stored.push(undefined);
      continue;
    }
    const hook = deps.incomingHook(change.collection);
    if (!hook) {
      rejections.push(null);
      stored.push(undefined);
      continue;
    }
    const outcome = await runHook(deps.logger, hook, user, change);
    if ('rejection' in outcome) {
      rejections.push({ ...base, status: 'rejected', ...outcome.rejection });
      stored.push(undefined);
    } else {
      rejections.push(null);
      stored.push(outcome.data);
    }
  }
  return { rejections, stored };
}

type HookOutcome =
  | { rejection: { code: string; error: string } }
  | { data: Record<string, unknown> | undefined };

async function runHook(
  logger: SyncLogger,
  hook: IncomingHook,
  user: SyncUser,
  change: WireChange,
): Promise<HookOutcome> {
  const failed = (why: string): HookOutcome => {
    // Names the change, never its contents (they may be personal data).
    logger.error(
      { collection: change.collection, docId: change.doc_id, err: why },
      'sync incoming hook failed',
    );
    return {
      rejection: {
        code: 'INCOMING_FAILED',
        error: 'The incoming-document hook failed; the change was not applied',
      },
    };
  };
  // The hook gets a copy: the pushed data stays as it was for the idempotency key.
  const data = change.data ? structuredClone(change.data) : null;
  let decision: IncomingDecision | undefined;
  try {
    decision = await hook({
      user,
      collection: change.collection,
      docId: change.doc_id,
      operation: change.operation,
      data,
      parentVersion: change.parent_version ?? null,
    });
  } catch (error) {
    if (error instanceof ConflictRejection) {
      return { rejection: { code: error.code, error: error.message } };
    }
    return failed(errorText(error));
  }
  if (decision === undefined || decision === null) {
    return { data: data ?? undefined };
  }
  if (decision.action === 'reject') {
    return {
      rejection: {
        code: decision.code ?? 'INCOMING_REJECTED',
        error: decision.reason || 'The change was rejected',
      },
    };
  }
  if (decision.action !== 'accept') {
    return failed(
      `unknown hook action ${JSON.stringify((decision as { action?: unknown }).action)}`,
    );
  }
  if (change.operation === 'delete') return { data: undefined };
  const result = decision.data ?? data;
  if (!isPlainData(result)) return failed('the hook returned data that is not a JSON object');
  if (jsonDepth(result) > MAX_DATA_DEPTH) {
    return failed(`the hook returned data nested deeper than ${MAX_DATA_DEPTH} levels`);
  }
  try {
    JSON.stringify(result);
  } catch (error) {
    return failed(`the hook returned data that is not JSON: ${errorText(error)}`);
  }
  return { data: result };
}
