import type {
  ApplyBatchInput,
  ChangeResult,
  Decide,
  OplogEntry,
  StoreChange,
  StoredDocument,
} from './types.js';

export type OplogDraft = Omit<OplogEntry, 'seq'>;

/** What one batch writes, computed inside its transaction by both backends alike. */
export interface BatchPlan {
  readonly results: ChangeResult[];
  readonly abortedAt: number;
  /** The final state of every document the batch writes, by `docKey`. */
  readonly documents: Map<string, StoredDocument>;
  readonly oplog: OplogDraft[];
  readonly idempotency: Array<{ key: string; result: ChangeResult }>;
}

export function docKey(collection: string, docId: string): string {
  return `${collection}\u0000${docId}`;
}

/**
 * Runs `decide` over the batch in order. `current` holds the stored state of every document
 * the batch names (null when absent), `replays` the stored results of earlier pushes by
 * idempotency key. Later changes see earlier changes of the same batch.
 */
export function planBatch<C extends StoreChange>(
  input: ApplyBatchInput<C>,
  current: ReadonlyMap<string, StoredDocument | null>,
  replays: ReadonlyMap<string, ChangeResult>,
  decide: Decide<C>,
  nowMs: number,
): BatchPlan {
  const documents = new Map<string, StoredDocument>();
  const oplog: OplogDraft[] = [];
  const idempotency: Array<{ key: string; result: ChangeResult }> = [];
  const results: ChangeResult[] = [];
  const seenKeys = new Map<string, ChangeResult>();
  for (let index = 0; index < input.changes.length; index++) {
    const change = input.changes[index]!;
    const idemKey = change.idempotencyKey;
    if (idemKey !== null) {
      const replay = seenKeys.get(idemKey) ?? replays.get(idemKey);
      if (replay) {
        results.push({ ...replay, replayed: true });
        continue;
      }
    }
    const key = docKey(change.collection, change.docId);
    const state = documents.get(key) ?? current.get(key) ?? null;
    const decision = decide(change, state);
    if (decision.kind === 'reject') {
      results.push(decision.result);
      if (input.atomic) return { results, abortedAt: index, documents, oplog, idempotency };
      continue;
    }
    if (decision.kind === 'write') {
      documents.set(key, {
        scope: input.scope,
        collection: change.collection,
        docId: change.docId,
        data: decision.data,
        version: decision.version,
        editVersion: decision.editVersion,
        deleted: decision.operation === 'delete',
        updatedMs: nowMs,
        actorId: input.actorId,
      });
      oplog.push({
        scope: input.scope,
        collection: change.collection,
        docId: change.docId,
        operation: decision.operation,
        version: decision.version,
        data: decision.data,
        clientId: input.clientId,
        actorId: input.actorId,
        changeId: decision.changeId,
        createdMs: nowMs,
      });
    }
    results.push(decision.result);
    if (idemKey !== null) {
      seenKeys.set(idemKey, decision.result);
      idempotency.push({ key: idemKey, result: decision.result });
    }
  }
  return { results, abortedAt: -1, documents, oplog, idempotency };
}
