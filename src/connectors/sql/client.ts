import { z } from 'zod';

/** The SQL flavours the sql connector speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** A value bound to a statement parameter. */
export type SqlValue = string | number | bigint | boolean | null;

export type SqlRow = { readonly [column: string]: unknown };

/** A result as arrays of values in the order of its column names: no object per row. */
export interface SqlRowArrays {
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly unknown[]>;
}

export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
  /**
   * For a client whose `supportsCopy()` is true: `sql` is a `COPY ... FROM STDIN` and this is
   * its data in COPY's text format (no params).
   */
  readonly copyData?: string;
}

/**
 * The small surface the sql connector needs from a database driver, so SQLite and
 * PostgreSQL (or a test double) fit behind one contract. Placeholders follow the dialect:
 * `?` for SQLite, `$1, $2, ...` for PostgreSQL.
 */
export interface SqlClient {
  readonly dialect: SqlDialect;
  /** Runs one statement on its own and returns its rows (none for statements without any). */
  query(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /**
   * Runs one query and returns its rows as arrays (what a source reads by the thousand);
   * absent, readers build them from query()'s rows.
   */
  queryArrays?(sql: string, params?: readonly SqlValue[]): Promise<SqlRowArrays>;
  /** Runs the statements in order in one transaction: all of them take effect, or none. */
  transaction(statements: readonly SqlStatement[]): Promise<void>;
  /** Whether transaction() takes COPY statements (`copyData`); absent means it does not. */
  supportsCopy?(): Promise<boolean>;
  /** Closes what the client opened itself; a database or pool passed in stays open. Idempotent. */
  close(): Promise<void>;
}

/** What `client` options must be: a SqlClient, as made by sqliteClient() or postgresClient(). */
export const clientSchema = z.custom<SqlClient>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SqlClient).query === 'function' &&
    typeof (value as SqlClient).transaction === 'function',
  { message: 'expected `client` to be sql.sqliteClient(path) or sql.postgresClient(url)' },
);
