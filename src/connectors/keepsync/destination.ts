import { describeError, type Fields, isKeepsyncError } from '../../model/index.js';
import type { ChangeResult, ServerWrite } from '../../server/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  type ListedObject,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import {
  type Connection,
  checkCollection,
  connect,
  type KeepsyncConnectionOptions,
  type Writer,
} from './connection.js';
import { destinationSchema } from './options-schema.js';
import { documentData } from './records.js';

export interface KeepsyncDestinationOptions extends KeepsyncConnectionOptions {
  /** The collection records are written to; the doc_id of each document is the record key. */
  collection: string;
}

type Change = ServerWrite['changes'][number];

/**
 * Writes records as documents of one collection through the sync server's write path: each
 * batch is one transaction with its oplog entries, so offline clients pull (or are streamed)
 * the changes. The destination id is the doc_id, which is the record key, so lookup() finds
 * documents written before a crash. Creates and updates merge the given fields into the
 * stored data (hand-added fields survive; a patch that changes nothing writes no version).
 * `delete` and `archive` both leave a tombstone: the document store has one notion of a
 * removed document that every client already handles, and a record that comes back at the
 * source is written again over it.
 */
export function destination(options: KeepsyncDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'keepsync.destination');
  const connection = connect(options);
  const collection = checkCollection(options.collection);
  return {
    name: connection.name,
    async open() {
      return openSession(connection, collection, await connection.openWriter());
    },
    list: () => listDocuments(connection, collection),
  };
}

/** The collection's live documents from one snapshot, a body member read back as the body. */
async function* listDocuments(
  connection: Connection,
  collection: string,
): AsyncGenerator<ListedObject[]> {
  const snapshot = await connection.store.openSnapshot({
    scope: connection.scope,
    collections: [collection],
    after: null,
    limit: null,
  });
  try {
    for await (const docs of snapshot.pages()) {
      yield docs
        .filter((doc) => !doc.deleted && doc.data !== null)
        .map((doc) => {
          const { body, ...fields } = JSON.parse(doc.data!) as Record<string, unknown>;
          return {
            key: doc.docId,
            destId: doc.docId,
            fields: (typeof body === 'string' ? fields : { ...fields, body }) as Fields,
            body: typeof body === 'string' ? body : undefined,
          };
        });
    }
  } finally {
    await snapshot.close();
  }
}

function openSession(
  connection: Connection,
  collection: string,
  writer: Writer,
): DestinationSession {
  const toChange = (op: WriteOp): Change =>
    op.kind === 'create' || op.kind === 'update'
      ? {
          collection,
          operation: 'upsert',
          doc_id: op.key,
          data: documentData(op.record),
          patch: true,
        }
      : { collection, operation: 'delete', doc_id: op.destId };

  const send = (changes: Change[]) =>
    writer.write({
      scope: connection.scope,
      clientId: connection.actor,
      actor: connection.actor,
      changes,
    });

  return {
    async lookup(keys) {
      const found = new Map<string, string>();
      for (const key of new Set(keys)) {
        const doc = await connection.store.getDocument(connection.scope, collection, key);
        if (doc && !doc.deleted) found.set(key, doc.docId);
      }
      return found;
    },
    async write(ops) {
      if (ops.length === 0) return [];
      const changes = ops.map(toChange);
      try {
        return (await send(changes)).map((result) => toWriteResult(result));
      } catch (error) {
        if (!isKeepsyncError(error) || error.code !== 'RECORD_INVALID') throw error;
        // One change the server refuses to parse fails the whole batch: write one by one so
        // only that record is rejected.
        const results: WriteResult[] = [];
        for (const [index, change] of changes.entries()) {
          try {
            results.push(toWriteResult((await send([change]))[0]!));
          } catch (single) {
            if (!isKeepsyncError(single) || single.code !== 'RECORD_INVALID') throw single;
            results.push({
              status: 'rejected',
              error: `record ${ops[index]!.key}: ${describeError(single).replace(/^Server write change 0: /, '')}`,
            });
          }
        }
        return results;
      }
    },
    close: () => writer.close(),
  };
}

function toWriteResult(result: ChangeResult): WriteResult {
  if (result.status === 'rejected') {
    return {
      status: 'rejected',
      error: `record ${result.doc_id}: ${result.error ?? result.code ?? 'rejected by the sync server'}`,
    };
  }
  return { status: 'ok', destId: result.doc_id };
}
