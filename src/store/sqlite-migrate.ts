import type Database from 'better-sqlite3';
import { pendingMigrations } from './migrations.js';
import { sqliteMigrations } from './sqlite-schema.js';

/** Applies the migrations the file has not seen yet, in one immediate transaction. */
export function migrateSqlite(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS keepsync_migrations (id TEXT PRIMARY KEY, applied_ms INTEGER NOT NULL)',
  );
  const apply = db.transaction(() => {
    const rows = db.prepare('SELECT id FROM keepsync_migrations').all() as Array<{ id: string }>;
    const insert = db.prepare('INSERT INTO keepsync_migrations (id, applied_ms) VALUES (?, ?)');
    for (const migration of pendingMigrations(
      sqliteMigrations,
      new Set(rows.map((row) => row.id)),
    )) {
      db.exec(migration.sql);
      insert.run(migration.id, Date.now());
    }
  });
  apply.immediate();
}
