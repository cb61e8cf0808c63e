import { createHash } from 'node:crypto';
import { pendingMigrations } from './migrations.js';
import { type PgPool, pgTransaction } from './pg.js';
import { postgresMigrations } from './postgres-schema.js';

/** Creates the schema if needed and applies the migrations it has not seen yet. */
export async function migratePostgres(pool: PgPool, schemaName: string): Promise<void> {
  const schema = `"${schemaName}"`;
  await pgTransaction(pool, async (client) => {
    // Processes opening the same schema at once queue here, so each version runs exactly once.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schemaName)]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schemaName,
    ]);
    // Checked first: a user without CREATE on the database can still use a prepared schema.
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.keepsync_migrations (id TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)`,
    );
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM ${schema}.keepsync_migrations`,
    );
    const applied = new Set(rows.map((row) => row.id));
    for (const migration of pendingMigrations(postgresMigrations, applied)) {
      await client.query(migration.sql(schema));
      await client.query(
        `INSERT INTO ${schema}.keepsync_migrations (id, applied_ms) VALUES ($1, $2)`,
        [migration.id, Date.now()],
      );
    }
  });
}

/** A stable 64-bit advisory lock id per schema, so deployments on other schemas never wait. */
function migrationLockKey(schemaName: string): string {
  return createHash('sha256')
    .update(`keepsync:migrate:${schemaName}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}
