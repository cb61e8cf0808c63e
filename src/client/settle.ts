import type { LocalApply } from './local-store.js';
import type { ConflictContext, RejectContext } from './options.js';
import type { PushBatch } from './outbox-batch.js';
import type { BaseDocument, WireResult } from './types.js';

/** What one answered push does: the store change, and what to tell the app. */
export interface SettlePlan {
  readonly apply: LocalApply & {
    documents: BaseDocument[];
    removeOutbox: string[];
    reparent: NonNullable<LocalApply['reparent']>[number][];
    reject: RejectContext[];
  };
  readonly conflicts: ConflictContext[];
  readonly rejects: RejectContext[];
}

/** Turns the server's results for a batch into the local store change and the callbacks due. */
export function planSettle(batch: PushBatch, results: readonly WireResult[]): SettlePlan {
  const plan: SettlePlan = {
    apply: { documents: [], removeOutbox: [], reparent: [], reject: [] },
    conflicts: [],
    rejects: [],
  };
  batch.groups.forEach((group, index) => {
    const result = results[index];
    if (!result) return;
    plan.apply.removeOutbox.push(...group.ids);
    const local = { operation: group.last.operation, data: group.last.data };
    if (result.status === 'rejected') {
      // Kept with its reason in the same store change that takes it off the outbox.
      const refused: RejectContext = {
        editId: group.last.id,
        collection: group.collection,
        id: group.docId,
        local,
        code: result.code ?? 'REJECTED',
        error: result.error ?? 'The server refused the change',
      };
      plan.apply.reject.push(refused);
      plan.rejects.push(refused);
      return;
    }
    const settled: BaseDocument = result.document
      ? {
          collection: group.collection,
          docId: group.docId,
          version: result.document.version,
          deleted: result.document.deleted,
          data: result.document.deleted ? null : result.document.data,
        }
      : {
          collection: group.collection,
          docId: group.docId,
          version: result.new_version!,
          deleted: local.operation === 'delete',
          data: local.operation === 'delete' ? null : local.data,
        };
    plan.apply.documents.push(settled);
    if (result.status === 'accepted') {
      plan.apply.reparent.push({
        collection: group.collection,
        docId: group.docId,
        from: group.parent,
        to: settled.version,
      });
    } else {
      plan.conflicts.push({
        collection: group.collection,
        id: group.docId,
        local,
        server: { data: settled.data, deleted: settled.deleted, version: settled.version },
        winner: result.document ? 'server' : 'local',
      });
    }
  });
  return plan;
}
