import type Database from 'better-sqlite3';
import { pageEnd } from './page-end.js';
import { ENTRY_COLUMNS, entryFromValues } from './sqlite-schema.js';
import type { EncodedPullPage, PullPage, PullQuery } from './types.js';

/**
 * One change as `encodeChange` (wire.ts) writes it, built by SQLite from the row: the pull
 * page leaves the database as one string, with no row objects or strings made per entry.
 */
const CHANGE_JSON = `'{"seq":' || scope_seq || ',"version":' || json_quote(version)
  || ',"collection":' || json_quote(collection) || ',"doc_id":' || json_quote(doc_id)
  || ',"operation":"' || op || '","data":' || coalesce(data, 'null')
  || ',"client_id":' || json_quote(client_id) || ',"actor_id":' || json_quote(actor_id) || '}'`;

const RANGE = 'scope = ? AND scope_seq > ? AND scope_seq <= ?';
const IN_COLLECTIONS = 'collection IN (SELECT value FROM json_each(?))';

function rangeWhere(filtered: boolean): string {
  return filtered ? `${RANGE} AND ${IN_COLLECTIONS}` : RANGE;
}

function entriesSql(filtered: boolean): string {
  return `SELECT ${ENTRY_COLUMNS} FROM sync_oplog WHERE ${rangeWhere(filtered)}
          ORDER BY scope_seq LIMIT ?`;
}

function encodedPageSql(filtered: boolean): string {
  return `SELECT group_concat(line, ',' ORDER BY seq) AS changes, count(*) AS count,
            max(seq) AS last
          FROM (SELECT scope_seq AS seq, ${CHANGE_JSON} AS line FROM sync_oplog
                WHERE ${rangeWhere(filtered)} ORDER BY scope_seq LIMIT ?)`;
}

/** Reads pull pages of the oplog, as entries (the live hub) or encoded (`/sync/pull`). */
export interface SqlitePullReader {
  page(query: PullQuery): PullPage;
  encodedPage(query: PullQuery): EncodedPullPage;
}

/** `top` gives the scope's highest committed seq: a page never reads past it. */
export function createSqlitePullReader(
  reader: Database.Database,
  top: (scope: string) => number,
): SqlitePullReader {
  const entries = reader.prepare(entriesSql(false)).raw(true);
  const entriesIn = reader.prepare(entriesSql(true)).raw(true);
  const encoded = reader.prepare(encodedPageSql(false));
  const encodedIn = reader.prepare(encodedPageSql(true));
  // The collection filter runs in SQL along the (scope, scope_seq) index, for both shapes.
  const params = (query: PullQuery, last: number) =>
    query.collections
      ? [query.scope, query.afterSeq, last, JSON.stringify(query.collections), query.limit]
      : [query.scope, query.afterSeq, last, query.limit];
  return {
    page(query) {
      const last = top(query.scope);
      const rows = (query.collections ? entriesIn : entries).all(
        ...params(query, last),
      ) as unknown[][];
      const page = rows.map(entryFromValues);
      return { entries: page, ...pageEnd(query, page.length, page.at(-1)?.seq ?? 0, last) };
    },
    encodedPage(query) {
      const last = top(query.scope);
      const row = (query.collections ? encodedIn : encoded).get(...params(query, last)) as {
        changes: string | null;
        count: number;
        last: number | null;
      };
      return {
        changes: row.changes ?? '',
        count: row.count,
        ...pageEnd(query, row.count, row.last ?? 0, last),
      };
    },
  };
}
