import Database from 'better-sqlite3';
import type { SqlClient, SqlStatement, SqlValue } from './client.js';

export interface SqliteClientOptions {
  /**
   * How long a writer waits for another connection's lock before SQLITE_BUSY; applied only
   * to a database this client opens from a path.
   * @default 5000
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
  const db = owned ? openDatabase(database, options.busyTimeoutMs ?? 5000) : database;
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
      statement.run(...params);
      return [];
    },
    async transaction(batch) {
      // IMMEDIATE takes the write lock up front, so the busy timeout applies instead of a
      // deadlock-shaped SQLITE_BUSY when a read lock cannot be upgraded.
      runAll.immediate(batch);
    },
    async close() {
      statements.clear();
      if (owned && db.open) db.close();
    },
  };
}

function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  return db;
}
