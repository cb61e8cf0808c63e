import type { PushChange } from './transport.js';
import { docKey, type OutboxEntry } from './types.js';

/** The outbox entries of one document, sent as one change. */
export interface PushGroup {
  readonly collection: string;
  readonly docId: string;
  /** The version the first pending edit was made on. */
  readonly parent: string | null;
  readonly last: OutboxEntry;
  readonly ids: readonly string[];
}

export interface PushBatch {
  readonly groups: readonly PushGroup[];
  readonly changes: readonly PushChange[];
}

/**
 * Collapses the outbox into one change per document (its last edit, based on the version the
 * first edit saw), in edit order, up to `max` documents. The change id is the last entry's id,
 * so resending the same batch after a lost response is recognised by the server. A batch to
 * resend keeps its changes as they were and only gains other documents.
 */
export function buildPushBatch(
  entries: readonly OutboxEntry[],
  max: number,
  resend: PushBatch | null = null,
): PushBatch | null {
  const groups = new Map<string, OutboxEntry[]>();
  const pinned = new Set(resend?.groups.map((group) => docKey(group.collection, group.docId)));
  const limit = max - (resend?.groups.length ?? 0);
  for (const entry of [...entries].sort((a, b) => a.order - b.order)) {
    const key = docKey(entry.collection, entry.docId);
    // Documents of a batch being resent go exactly as before; their later edits wait a round.
    if (pinned.has(key)) continue;
    const list = groups.get(key);
    if (list) list.push(entry);
    else if (groups.size < limit) groups.set(key, [entry]);
  }
  const built: PushGroup[] = [...(resend?.groups ?? [])];
  if (built.length === 0 && groups.size === 0) return null;
  for (const list of groups.values()) {
    const first = list[0]!;
    built.push({
      collection: first.collection,
      docId: first.docId,
      parent: first.parentVersion,
      last: list[list.length - 1]!,
      ids: list.map((entry) => entry.id),
    });
  }
  return {
    groups: built,
    changes: built.map((group) => ({
      id: group.last.id,
      collection: group.collection,
      operation: group.last.operation,
      doc_id: group.docId,
      data: group.last.operation === 'delete' ? null : group.last.data,
      parent_version: group.parent,
      hlc: group.last.hlc,
    })),
  };
}
