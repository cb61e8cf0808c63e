import { KeepsyncError } from '../model/index.js';

// Types only: `pg` is an optional peer, loaded by loadPg() when PostgreSQL is asked for, so the
// root entry loads without it installed.
export type Pg = typeof import('pg').default;
export type PgPool = import('pg').Pool;
export type PgPoolClient = import('pg').PoolClient;

const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Loads `pg`, or says which package to install for `purpose` ("the PostgreSQL store"). */
export async function loadPg(purpose: string): Promise<Pg> {
  try {
    return (await import('pg')).default;
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new KeepsyncError(
        'DEPENDENCY_MISSING',
        `Install the \`pg\` package to use ${purpose}: npm install pg`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Loaders and bundlers may wrap the resolution error, so its causes count too. */
function isModuleNotFound(error: unknown): boolean {
  let current = error;
  // Bounded, as a cause chain can loop.
  for (let depth = 0; depth < 8 && current instanceof Error; depth++, current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
    if (/Cannot find (package|module) 'pg'/.test(current.message)) return true;
  }
  return false;
}

export interface PgConnectionOptions {
  /** Where to connect; the opener makes its own pool and ends it on close. Give this or `pool`. */
  connectionString?: string | undefined;
  /** A pool the application already has; it is borrowed and never ended. */
  pool?: PgPool | undefined;
  /**
   * The PostgreSQL schema holding the tables, created when missing.
   * @default 'keepsync'
   */
  schema?: string | undefined;
}

export interface PgConnection {
  readonly pool: PgPool;
  /** True when the pool was made here, so whoever closes the store must end it. */
  readonly ownsPool: boolean;
  readonly schemaName: string;
}

/** Checks the options and returns a pool; `purpose` names the store in errors. */
export async function connectPg(
  options: PgConnectionOptions,
  purpose: string,
  poolSize?: number,
): Promise<PgConnection> {
  const schemaName = options.schema ?? 'keepsync';
  if (!SCHEMA_PATTERN.test(schemaName)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`schema\` to be 1-63 letters, digits or '_' not starting with a digit, got ${JSON.stringify(schemaName)}`,
    );
  }
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected exactly one of \`connectionString\` and \`pool\` for ${purpose}`,
    );
  }
  if (options.pool) return { pool: options.pool, ownsPool: false, schemaName };
  const { Pool } = await loadPg(purpose);
  const pool = new Pool({
    connectionString: options.connectionString,
    ...(poolSize ? { max: poolSize } : {}),
  });
  // An idle connection dropped by the server would otherwise crash the process; the next
  // query simply takes a fresh connection.
  pool.on('error', () => {});
  return { pool, ownsPool: true, schemaName };
}

/**
 * Runs `work` in one transaction on one connection: COMMIT on success (unless `commit`
 * says otherwise for the result), ROLLBACK on error. A connection that cannot even roll back
 * is destroyed instead of going back to the pool. `firstStatements` (SQL without parameters)
 * are sent with BEGIN in one round trip.
 */
export async function pgTransaction<T>(
  pool: PgPool,
  work: (client: PgPoolClient) => Promise<T>,
  commit: (result: T) => boolean = () => true,
  firstStatements?: string,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(firstStatements ? `BEGIN; ${firstStatements}` : 'BEGIN');
    const result = await work(client);
    await client.query(commit(result) ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
