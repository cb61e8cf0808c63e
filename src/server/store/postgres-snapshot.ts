import type { PgPool } from '../../store/index.js';
import { toDocument } from './postgres-schema.js';
import type { DocumentSnapshot, SnapshotQuery } from './types.js';

/**
 * A full export's snapshot: one pooled connection holding a REPEATABLE READ transaction and a
 * cursor, so every page reads the same committed state however long the export takes.
 */
export async function openPostgresSnapshot(
  pool: PgPool,
  s: string,
  query: SnapshotQuery,
): Promise<DocumentSnapshot> {
  const client = await pool.connect();
  let released = false;
  const close = async () => {
    if (released) return;
    released = true;
    let broken: Error | undefined;
    try {
      await client.query('ROLLBACK');
    } catch (error) {
      broken = error as Error;
    }
    client.release(broken);
  };
  try {
    // One REPEATABLE READ transaction: every page reads the same committed state.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const top = await client.query(
      `SELECT COALESCE((SELECT last_seq FROM ${s}.sync_scopes WHERE scope = $1), 0) AS seq`,
      [query.scope],
    );
    const lastSeq = Number(top.rows[0].seq);
    const params: unknown[] = [query.scope, query.collections];
    let where = 'scope = $1 AND collection = ANY($2::text[])';
    if (query.after) {
      params.push(query.after.collection, query.after.docId);
      where += ' AND (collection, doc_id) > ($3, $4)';
    }
    let next: { collection: string; docId: string } | null = null;
    if (query.limit !== null) {
      const probe = await client.query(
        `SELECT collection, doc_id FROM ${s}.sync_documents WHERE ${where}
         ORDER BY collection, doc_id LIMIT 2 OFFSET ${query.limit - 1}`,
        params,
      );
      if (probe.rows.length === 2) {
        next = { collection: probe.rows[0].collection, docId: probe.rows[0].doc_id };
      }
    }
    await client.query(
      `DECLARE sync_full NO SCROLL CURSOR FOR
       SELECT scope, collection, doc_id, data, version, edit_version, deleted, updated_ms, actor_id FROM ${s}.sync_documents
       WHERE ${where} ORDER BY collection, doc_id ${query.limit !== null ? `LIMIT ${query.limit}` : ''}`,
      params,
    );
    const pageSize = query.pageSize ?? 1000;
    return {
      lastSeq,
      next,
      async *pages() {
        while (true) {
          const { rows } = await client.query(`FETCH ${pageSize} FROM sync_full`);
          if (rows.length === 0) return;
          yield rows.map(toDocument);
          if (rows.length < pageSize) return;
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
