import type { Migration } from './migrations.js';

/** Migrations of the SQLite store; each runs once, in order, in a transaction. */
export const sqliteMigrations: readonly Migration<string>[] = [
  {
    id: '0001-core',
    sql: `
  CREATE TABLE links (
    pipeline TEXT NOT NULL,
    key TEXT NOT NULL,
    unit TEXT NOT NULL,
    dest_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    source_updated_ms INTEGER,
    seen_pass TEXT,
    PRIMARY KEY (pipeline, key)
  ) WITHOUT ROWID;
  CREATE INDEX links_by_unit ON links (pipeline, unit, seen_pass);

  CREATE TABLE cursors (
    pipeline TEXT NOT NULL,
    unit TEXT NOT NULL,
    cursor TEXT,
    pass_id TEXT,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (pipeline, unit)
  );

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    unit TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    stats TEXT NOT NULL,
    error TEXT
  );
  CREATE INDEX runs_by_unit ON runs (pipeline, unit, id);

  CREATE TABLE dead_letters (
    pipeline TEXT NOT NULL,
    key TEXT NOT NULL,
    unit TEXT NOT NULL,
    error TEXT NOT NULL,
    record TEXT,
    attempts INTEGER NOT NULL,
    first_failed_ms INTEGER NOT NULL,
    last_failed_ms INTEGER NOT NULL,
    PRIMARY KEY (pipeline, key)
  );

  CREATE TABLE units (
    pipeline TEXT NOT NULL,
    unit TEXT NOT NULL,
    next_run_ms INTEGER,
    paused INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT,
    sync_requested INTEGER NOT NULL DEFAULT 0,
    requested_keys TEXT,
    last_run_id INTEGER,
    lease_owner TEXT,
    lease_expires_ms INTEGER,
    PRIMARY KEY (pipeline, unit)
  );

  CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
  );
  `,
  },
  {
    id: 'twoway-sync',
    sql: `
  CREATE TABLE twoway_pairs (
    task TEXT NOT NULL,
    id TEXT NOT NULL,
    left_key TEXT,
    right_key TEXT,
    base TEXT NOT NULL,
    left_seen TEXT,
    right_seen TEXT,
    pending TEXT,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (task, id)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX twoway_pairs_left ON twoway_pairs (task, left_key);
  CREATE UNIQUE INDEX twoway_pairs_right ON twoway_pairs (task, right_key);

  CREATE TABLE twoway_cursors (
    task TEXT NOT NULL,
    side TEXT NOT NULL,
    cursor TEXT,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (task, side)
  );

  CREATE TABLE twoway_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    pair_id TEXT NOT NULL,
    left_key TEXT,
    right_key TEXT,
    field TEXT NOT NULL,
    left_value TEXT,
    right_value TEXT,
    base_value TEXT,
    detected_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    decision TEXT,
    decided_ms INTEGER
  );
  CREATE UNIQUE INDEX twoway_conflicts_live ON twoway_conflicts (task, pair_id, field)
    WHERE state IN ('open', 'decided');
  CREATE INDEX twoway_conflicts_by_state ON twoway_conflicts (state, task);
  `,
  },
  {
    // The values a two-way batch is about to write, committed before it writes them, so
    // after a crash a value that landed is known as keepsync's own, not as a person's edit.
    id: 'twoway-inflight',
    sql: 'ALTER TABLE twoway_pairs ADD COLUMN inflight TEXT;',
  },
  {
    // A lease epoch for fencing page commits, and when the holder took the lease.
    id: 'lease-fencing',
    sql: `
  ALTER TABLE units ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE units ADD COLUMN lease_since_ms INTEGER;
  `,
  },
  {
    // The pairs with state of their own, which every incremental two-way run loads: an index
    // search instead of a scan of every pair. The two-way store's query repeats this condition
    // word for word, as SQLite only uses a partial index whose condition the query contains.
    id: 'twoway-pairs-with-state',
    sql: `
  CREATE INDEX twoway_pairs_with_state ON twoway_pairs (task)
    WHERE pending IS NOT NULL OR inflight IS NOT NULL OR left_seen IS NOT NULL
      OR right_seen IS NOT NULL OR left_key IS NULL OR right_key IS NULL;
  `,
  },
];
