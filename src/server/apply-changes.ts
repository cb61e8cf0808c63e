import type { Hlc } from '../model/index.js';
import { errorText, type LiveHub } from './hub.js';
import type { SyncMetrics } from './metrics.js';
import type {
  CollectionOptions,
  ConflictResolver,
  DeletePolicy,
  SyncLogger,
  SyncUser,
} from './options.js';
import { createDecider, prepareChange, type WireChange } from './protocol.js';
import type { ChangeResult, DocumentStore, SqlTransaction } from './store/types.js';

export interface ApplyDeps {
  readonly store: DocumentStore;
  readonly hub: LiveHub;
  readonly hlc: Hlc;
  readonly metrics: SyncMetrics;
  readonly logger: SyncLogger;
  readonly settings: (collection: string) => CollectionOptions;
  readonly defaultResolver: ConflictResolver;
  readonly defaultDeletePolicy: DeletePolicy;
}

export interface ApplyRequest {
  readonly user: SyncUser;
  readonly clientId: string;
  readonly changes: readonly WireChange[];
  readonly atomic: boolean;
  /** Server-side writes: a change without a parent version overwrites what is stored. */
  readonly force: boolean;
  readonly patches?: readonly boolean[];
  /** Per change: the data to store instead of the pushed data (the incoming hook's). */
  readonly storedData?: ReadonlyArray<Record<string, unknown> | undefined>;
  /** The application's open transaction to write in (server writes on PostgreSQL). */
  readonly transaction?: SqlTransaction | undefined;
}

export type ApplyChanges = (
  request: ApplyRequest,
) => Promise<{ results: ChangeResult[]; lastSeq: number | null }>;

/** The write path shared by pushes and server writes: one store transaction per batch. */
export function createApplyChanges(deps: ApplyDeps): ApplyChanges {
  const { store, hub, metrics, logger } = deps;
  return async ({ user, clientId, changes, atomic, force, patches, storedData, transaction }) => {
    const prepared = changes.map((change, index) => {
      const ready = {
        ...prepareChange(change, storedData?.[index]),
        patch: patches?.[index] === true,
      };
      return force && change.id === undefined ? { ...ready, idempotencyKey: null } : ready;
    });
    const decide = createDecider({
      hlc: deps.hlc,
      user,
      collectionOptions: deps.settings,
      defaultResolver: deps.defaultResolver,
      defaultDeletePolicy: deps.defaultDeletePolicy,
      force,
      onConflict: (collection) =>
        metrics.conflicts.inc({ collection: metrics.collectionLabel(collection) }),
      onResolverError: (error, collection, docId) =>
        logger.error({ collection, docId, err: errorText(error) }, 'sync conflict resolver failed'),
    });
    const outcome = await store.applyBatch(
      { scope: user.scope, clientId, actorId: user.id, changes: prepared, atomic, transaction },
      decide,
    );
    let results = outcome.results;
    if (outcome.abortedAt >= 0) {
      const culprit = outcome.results[outcome.abortedAt]!;
      results = prepared.map((change, index): ChangeResult => {
        const planned = outcome.results[index];
        if (index === outcome.abortedAt) return culprit;
        if (planned?.replayed) return planned;
        return {
          doc_id: change.docId,
          collection: change.collection,
          status: 'rejected',
          code: 'BATCH_ABORTED',
          error: `Not applied: the batch is atomic and change ${outcome.abortedAt} (${culprit.collection}/${culprit.doc_id}) was rejected`,
        };
      });
    }
    // Inside the application's transaction nothing is visible yet: the store's commit
    // notification wakes the hub once (and if) it commits.
    if (outcome.lastSeq !== null && !transaction) hub.notify(user.scope);
    return { results, lastSeq: outcome.lastSeq };
  };
}
