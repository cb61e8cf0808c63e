import Database from 'better-sqlite3';
import { retryWhileBusy, SQLITE_SYNC_BUSY_MS } from '../../store/index.js';
import type { SqlClient, SqlStatement, SqlValue } from './client.js';

export interface SqliteClientOptions {
  /**
   * How long a write waits for another connection's lock before failing. The wait is
   * asynchronous (retries with backoff), so the event loop keeps running meanwhile; a
   * database passed in keeps its own busy_timeout for the synchronous part.
   * @default 30000
   */
  busyTimeoutMs?: number;
}

/** Prepared statements kept per client; a batch reuses a handful of shapes. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * A SqlClient over better-sqlite3: an open database (left open by close()) or a file path
 * (opened in WAL mode, closed by close()). Transactions run synchronously, so nothing else
 * on the connection can interleave with one.
 */
export function sqliteClient(
  database: Database.Database | string,
  options: SqliteClientOptions = {},
): SqlClient {
  const owned = typeof database === 'string';
  const db = owned ? openDatabase(database) : database;
  const busyWait = {
    totalMs: options.busyTimeoutMs ?? 30_000,
    what: `The SQLite database ${owned ? database : db.name}`,
  };
  const statements = new Map<string, Database.Statement<SqlValue[]>>();

  function prepare(sql: string): Database.Statement<SqlValue[]> {
    let statement = statements.get(sql);
    if (statement === undefined) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      statement = db.prepare<SqlValue[]>(sql);
      statements.set(sql, statement);
    }
    return statement;
  }

  const runAll = db.transaction((batch: readonly SqlStatement[]) => {
    for (const { sql, params } of batch) prepare(sql).run(...params);
  });

  return {
    dialect: 'sqlite',
    async query(sql, params = []) {
      const statement = prepare(sql);
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      await retryWhileBusy(() => statement.run(...params), busyWait);
      return [];
    },
    async queryArrays(sql, params = []) {
      const statement = prepare(sql);
      // Raw rows are arrays straight from SQLite: half the cost of an object per row.
      statement.raw(true);
      try {
        const rows = statement.all(...params) as unknown[][];
        // Named after running, not before or once: SQLite prepares a statement again when
        // the schema has changed, and `SELECT *` then has the table's new columns.
        return { columns: statement.columns().map((column) => column.name), rows };
      } finally {
        statement.raw(false);
      }
    },
    async transaction(batch) {
      // IMMEDIATE takes the write lock up front, so the busy timeout applies instead of a
      // deadlock-shaped SQLITE_BUSY when a read lock cannot be upgraded.
      await retryWhileBusy(() => runAll.immediate(batch), busyWait);
    },
    async close() {
      statements.clear();
      if (owned && db.open) db.close();
    },
  };
}

function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${SQLITE_SYNC_BUSY_MS}`);
  return db;
}
