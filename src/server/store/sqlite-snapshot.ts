import Database from 'better-sqlite3';
import { SQLITE_SYNC_BUSY_MS } from '../../store/index.js';
import { compareUtf8, type Row } from './sqlite-schema.js';
import type { DocumentSnapshot, RowsPage, SnapshotQuery, StoredDocument } from './types.js';

/** One row of the snapshot's page query, in its column order. */
function toSnapshotDocument(scope: string, collection: string, row: unknown[]): StoredDocument {
  return {
    scope,
    collection,
    docId: row[0] as string,
    data: (row[1] as string | null) ?? null,
    version: row[2] as string,
    editVersion: row[3] as string,
    deleted: row[4] === 1,
    updatedMs: row[5] as number,
    actorId: (row[6] as string | null) ?? null,
  };
}

/**
 * A full export's snapshot: its own read-only connection holding one read transaction, so every
 * page reads the same committed state however long the export takes. `open` tracks the
 * connections the store must close.
 */
export async function openSqliteSnapshot(
  path: string,
  open: Set<Database.Database>,
  query: SnapshotQuery,
  busyWait: <T>(work: () => T) => Promise<T>,
): Promise<DocumentSnapshot> {
  const db = new Database(path, { readonly: true });
  db.pragma(`busy_timeout = ${SQLITE_SYNC_BUSY_MS}`);
  open.add(db);
  const close = async () => {
    if (!open.delete(db)) return;
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
    } finally {
      db.close();
    }
  };
  try {
    db.exec('BEGIN');
    const top = db.prepare(
      'SELECT COALESCE((SELECT last_seq FROM sync_scopes WHERE scope = ?), 0) AS seq',
    );
    // The first read fixes the snapshot; every later page reads the same committed state.
    const lastSeq = (await busyWait(() => top.get(query.scope) as { seq: number })).seq;
    // One collection at a time along the primary key: a row-value range over several
    // collections made SQLite sort the whole remainder for every page (quadratic).
    const collections = [...new Set(query.collections)].sort(compareUtf8);
    // Rows as arrays, scope and collection known: about half the cost of a row object each.
    const page = db
      .prepare(
        `SELECT doc_id, data, version, edit_version, deleted, updated_ms, actor_id
         FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id > ?
         ORDER BY doc_id LIMIT ?`,
      )
      .raw(true);
    // The same page as `format=rows` lines, built by SQLite and returned as UTF-8 bytes: no
    // document object, JS string or encoding per row (about half the server's CPU per page).
    // It must match `encodeDocumentRow` in ../wire.ts line for line.
    const rowsText = db
      .prepare(
        `SELECT CAST(group_concat('[' || json_quote(doc_id) || ',' || json_quote(version) || ',' ||
           CASE deleted WHEN 1 THEN 'true,null' ELSE 'false,' || COALESCE(data, 'null') END ||
           ',' || COALESCE(json_quote(actor_id), 'null') || ']' || char(10), '' ORDER BY doc_id)
           AS BLOB), count(*), max(doc_id)
         FROM (SELECT doc_id, version, deleted, data, actor_id FROM sync_documents
           WHERE scope = ? AND collection = ? AND doc_id > ? ORDER BY doc_id LIMIT ?)`,
      )
      .raw(true);
    // Counts at most `bound` rows: a response's work stays in proportion to its limit, not to
    // everything after its cursor.
    const count = db.prepare(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM sync_documents
       WHERE scope = ? AND collection = ? AND doc_id > ? ORDER BY doc_id LIMIT ?)`,
    );
    const counted = (lane: { collection: string; from: string }, bound: number) =>
      (count.get(query.scope, lane.collection, lane.from, bound) as { n: number }).n;
    const nth = db.prepare(
      `SELECT doc_id FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id > ?
       ORDER BY doc_id LIMIT 1 OFFSET ?`,
    );
    // Where each collection starts: after the cursor in its collection, before all later ones.
    const lanes = collections
      .filter((collection) => !query.after || compareUtf8(collection, query.after.collection) >= 0)
      .map((collection) => ({
        collection,
        from: query.after && collection === query.after.collection ? query.after.docId : '',
      }));
    let nextKey: { collection: string; docId: string } | null = null;
    if (query.limit !== null) {
      // The limit-th document is where the next response starts, if anything follows it.
      let remaining = query.limit;
      for (const [index, lane] of lanes.entries()) {
        // Up to one past the limit: enough to tell whether anything in this lane follows it.
        const n = counted(lane, remaining + 1);
        if (remaining > n) {
          remaining -= n;
          continue;
        }
        const more = remaining < n || lanes.slice(index + 1).some((later) => counted(later, 1) > 0);
        if (more) {
          const row = nth.get(query.scope, lane.collection, lane.from, remaining - 1) as Row;
          nextKey = { collection: lane.collection, docId: row.doc_id as string };
        }
        break;
      }
    }
    const pageSize = query.pageSize ?? 1000;
    const limit = query.limit;
    /** Reads the snapshot's pages along the lanes, up to `limit` documents in all. */
    async function* walk<T>(
      read: (
        collection: string,
        after: string,
        size: number,
      ) => { page: T; count: number; last: string },
    ): AsyncGenerator<T> {
      let left = limit ?? Number.POSITIVE_INFINITY;
      let firstPage = true;
      for (const lane of lanes) {
        let after = lane.from;
        while (left > 0) {
          // better-sqlite3 is synchronous: give the event loop a turn between pages, so the
          // bytes already produced reach the socket and other requests are served meanwhile.
          if (!firstPage) await new Promise((resolve) => setImmediate(resolve));
          firstPage = false;
          const size = Math.min(pageSize, left);
          const { page: chunk, count, last } = read(lane.collection, after, size);
          if (count === 0) break;
          left -= count;
          after = last;
          yield chunk;
          if (count < size) break;
        }
      }
    }
    return {
      lastSeq,
      next: nextKey,
      pages: () =>
        walk((collection, after, size) => {
          const rows = page.all(query.scope, collection, after, size) as unknown[][];
          const docs = rows.map((row) => toSnapshotDocument(query.scope, collection, row));
          return { page: docs, count: docs.length, last: docs[docs.length - 1]?.docId ?? '' };
        }),
      rowPages: () =>
        walk((collection, after, size) => {
          const [bytes, count, last] = rowsText.get(query.scope, collection, after, size) as [
            Uint8Array | null,
            number,
            string | null,
          ];
          const built: RowsPage = { collection, count, bytes: bytes ?? new Uint8Array() };
          return { page: built, count, last: last ?? '' };
        }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
