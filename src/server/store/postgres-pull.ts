import type { PgPool } from '../../store/index.js';
import { pageEnd } from './page-end.js';
import type { BatchTarget } from './postgres-batch.js';
import { toEntry } from './postgres-schema.js';
import type { EncodedPullPage, PullPage, PullQuery } from './types.js';

/**
 * Pull pages of the PostgreSQL oplog, each one statement that also reads the scope's highest
 * committed seq, in the same snapshot: a page never reads past it.
 */

/** One change as `encodeChange` (wire.ts) writes it, built by PostgreSQL from the row. */
const CHANGE_JSON = `'{"seq":' || scope_seq || ',"version":' || to_json(version)
  || ',"collection":' || to_json(collection) || ',"doc_id":' || to_json(doc_id)
  || ',"operation":"' || op || '","data":' || coalesce(data, 'null')
  || ',"client_id":' || coalesce(to_json(client_id)::text, 'null')
  || ',"actor_id":' || coalesce(to_json(actor_id)::text, 'null') || '}'`;

/** Named, not `*`: a prepared statement's result may not change shape when a migration adds one. */
const ENTRY_COLUMNS =
  'scope, scope_seq, collection, doc_id, op, version, data, client_id, actor_id, change_id, created_ms';

/** `top` (the scope's last seq) and `page` (the entries after $2, up to $3 of them). */
function pageCtes(s: string, columns: string, filtered: boolean): string {
  return `WITH top AS (
      SELECT COALESCE((SELECT last_seq FROM ${s}.sync_scopes WHERE scope = $1), 0) AS seq
    ), page AS (
      SELECT ${columns} FROM ${s}.sync_oplog
      WHERE scope = $1 AND scope_seq > $2 AND scope_seq <= (SELECT seq FROM top)
        ${filtered ? 'AND collection = ANY($4::text[])' : ''}
      ORDER BY scope_seq LIMIT $3
    )`;
}

function params(query: PullQuery): unknown[] {
  const values: unknown[] = [query.scope, query.afterSeq, query.limit];
  if (query.collections) values.push(query.collections);
  return values;
}

export async function pullPage(
  pool: PgPool,
  target: BatchTarget,
  query: PullQuery,
): Promise<PullPage> {
  const filtered = query.collections !== null;
  const { rows } = await pool.query(
    target.statement(
      `${pageCtes(target.schema, ENTRY_COLUMNS, filtered)}
       SELECT page.*, top.seq AS top FROM top LEFT JOIN page ON true ORDER BY page.scope_seq`,
      params(query),
    ),
  );
  const top = Number(rows[0].top);
  const entries = rows.filter((row) => row.scope_seq !== null).map(toEntry);
  return { entries, ...pageEnd(query, entries.length, entries.at(-1)?.seq ?? 0, top) };
}

/** The page as one text of comma-separated changes: no row objects made per entry. */
export async function pullEncodedPage(
  pool: PgPool,
  target: BatchTarget,
  query: PullQuery,
): Promise<EncodedPullPage> {
  const filtered = query.collections !== null;
  const { rows } = await pool.query(
    target.statement(
      `${pageCtes(target.schema, `scope_seq, ${CHANGE_JSON} AS line`, filtered)}
       SELECT string_agg(line, ',' ORDER BY scope_seq) AS changes, count(*) AS count,
         max(scope_seq) AS last, (SELECT seq FROM top) AS top
       FROM page`,
      params(query),
    ),
  );
  const row = rows[0] as {
    changes: string | null;
    count: string;
    last: string | null;
    top: string;
  };
  const count = Number(row.count);
  return {
    changes: row.changes ?? '',
    count,
    ...pageEnd(query, count, Number(row.last ?? 0), Number(row.top)),
  };
}
