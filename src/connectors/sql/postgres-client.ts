import { KeepsyncError } from '../../model/index.js';
import { loadPg, type PgPoolClient, type PgPool as Pool } from '../../store/index.js';
import type { SqlClient, SqlRow, SqlStatement } from './client.js';
import { copyIn } from './postgres-copy-in.js';
import { fastTimestamptzTypes, type PgTypes } from './postgres-timestamptz.js';

/**
 * A SqlClient over a `pg` pool: one you pass in (left open by close()) or one made from a
 * connection string or `{ connectionString }` (ended by close()). `pg` is an optional peer dependency, loaded on first
 * use, so configs that never touch PostgreSQL do not need it installed.
 */
export function postgresClient(
  connection: Pool | string | { readonly connectionString: string },
): SqlClient {
  const poolOrConnectionString = connectionOf(connection);
  const owned = typeof poolOrConnectionString === 'string';
  let ready: Promise<Pool> | undefined;
  let readTypes: Promise<PgTypes | undefined> | undefined;
  let closed = false;

  function pool(): Promise<Pool> {
    ready ??=
      typeof poolOrConnectionString === 'string'
        ? createPool(poolOrConnectionString)
        : Promise.resolve(poolOrConnectionString);
    return ready;
  }

  /**
   * The parsers of reads by the thousand. Only for a pool made here: a pool passed in may
   * carry parsers of its own (pool or connection `types`), which a query's `types` would hide.
   */
  function arrayReadTypes(): Promise<PgTypes | undefined> {
    readTypes ??= owned
      ? loadPg('the sql connector with PostgreSQL').then(fastTimestamptzTypes)
      : Promise.resolve(undefined);
    return readTypes;
  }

  async function run(connection: PgPoolClient, statement: SqlStatement): Promise<void> {
    if (statement.copyData === undefined) {
      await connection.query(statement.sql, statement.params as unknown[]);
      return;
    }
    await copyIn(connection, statement.sql, statement.copyData);
  }

  return {
    dialect: 'postgres',
    async query(sql, params = []) {
      const result = await (await pool()).query<SqlRow>(sql, params as unknown[]);
      return result.rows;
    },
    async queryArrays(sql, params = []) {
      const types = await arrayReadTypes();
      const result = await (await pool()).query<unknown[]>({
        text: sql,
        values: params as unknown[],
        rowMode: 'array',
        ...(types ? { types } : {}),
      });
      return { columns: result.fields.map((field) => field.name), rows: result.rows };
    },
    async supportsCopy() {
      return true;
    },
    async transaction(statements) {
      // One statement is atomic on its own: no BEGIN and COMMIT round trips around it (for a
      // first sync's page, one COPY: two round trips instead of four).
      if (statements.length === 1) {
        const [only] = statements as [SqlStatement];
        if (only.copyData === undefined) {
          await (await pool()).query(only.sql, only.params as unknown[]);
          return;
        }
        const connection = await (await pool()).connect();
        try {
          await run(connection, only);
        } finally {
          connection.release();
        }
        return;
      }
      const connection = await (await pool()).connect();
      let broken: Error | undefined;
      try {
        await connection.query('BEGIN');
        for (const statement of statements) await run(connection, statement);
        await connection.query('COMMIT');
      } catch (error) {
        await connection.query('ROLLBACK').catch((rollbackError: Error) => {
          // A connection that cannot roll back is dropped rather than handed to the next caller.
          broken = rollbackError;
        });
        throw error;
      } finally {
        connection.release(broken);
      }
    },
    async close() {
      if (!owned || closed || ready === undefined) return;
      closed = true;
      await (await ready).end();
    },
  };
}

function connectionOf(value: unknown): Pool | string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as Pool).query === 'function') return value as Pool;
    const { connectionString } = value as { connectionString?: unknown };
    if (typeof connectionString === 'string' && connectionString !== '') return connectionString;
  }
  throw new KeepsyncError(
    'CONFIG_INVALID',
    'Expected sql.postgresClient() to get a connection string, { connectionString } or a pg Pool',
  );
}

async function createPool(connectionString: string): Promise<Pool> {
  const { Pool: PoolClass } = await loadPg('the sql connector with PostgreSQL');
  const pool = new PoolClass({ connectionString });
  // An idle connection that drops (server restart) must not crash the process; the next
  // query reports the failure instead.
  pool.on('error', () => {});
  return pool;
}
