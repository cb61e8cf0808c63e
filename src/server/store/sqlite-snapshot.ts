import Database from 'better-sqlite3';
import { SQLITE_SYNC_BUSY_MS } from '../../store/index.js';
import { compareUtf8, type Row, toDocument } from './sqlite-schema.js';
import type { DocumentSnapshot, SnapshotQuery } from './types.js';

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
    const cols =
      'scope, collection, doc_id, data, version, edit_version, deleted, updated_ms, actor_id';
    const page = db.prepare(
      `SELECT ${cols} FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id > ?
       ORDER BY doc_id LIMIT ?`,
    );
    const count = db.prepare(
      'SELECT COUNT(*) AS n FROM sync_documents WHERE scope = ? AND collection = ? AND doc_id > ?',
    );
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
        const { n } = count.get(query.scope, lane.collection, lane.from) as { n: number };
        if (remaining > n) {
          remaining -= n;
          continue;
        }
        const more =
          remaining < n ||
          lanes
            .slice(index + 1)
            .some(
              (later) =>
                (count.get(query.scope, later.collection, later.from) as { n: number }).n > 0,
            );
        if (more) {
          const row = nth.get(query.scope, lane.collection, lane.from, remaining - 1) as Row;
          nextKey = { collection: lane.collection, docId: row.doc_id as string };
        }
        break;
      }
    }
    const pageSize = query.pageSize ?? 1000;
    const limit = query.limit;
    return {
      lastSeq,
      next: nextKey,
      async *pages() {
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
            const rows = page.all(query.scope, lane.collection, after, size) as Row[];
            if (rows.length === 0) break;
            const docs = rows.map(toDocument);
            left -= docs.length;
            after = docs[docs.length - 1]!.docId;
            yield docs;
            if (rows.length < size) break;
          }
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
