import type { Migration } from './migrations.js';

/** Quoted, schema-qualified table names of the PostgreSQL store. */
export type PostgresTables = Record<
  'links' | 'cursors' | 'runs' | 'deadLetters' | 'units' | 'secrets',
  string
>;

/** The store's tables in `schema`, given already quoted. */
export function postgresTables(schema: string): PostgresTables {
  return {
    links: `${schema}.links`,
    cursors: `${schema}.cursors`,
    runs: `${schema}.runs`,
    deadLetters: `${schema}.dead_letters`,
    units: `${schema}.units`,
    secrets: `${schema}.secrets`,
  };
}

/**
 * Migrations of the PostgreSQL store, given the quoted schema name; each has the id of its
 * SQLite twin, so both backends describe their state the same way. Each runs once, in order,
 * in the opening transaction.
 *
 * Text identifiers use the "C" collation so keys sort by code point, as in SQLite, whatever
 * the database's locale; timestamps are BIGINT milliseconds.
 */
export const postgresMigrations: readonly Migration<(schema: string) => string>[] = [
  {
    id: '0001-core',
    sql: (s) => `
  CREATE TABLE ${s}.links (
    pipeline TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    dest_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    source_updated_ms BIGINT,
    seen_pass TEXT,
    PRIMARY KEY (pipeline, key)
  );
  CREATE INDEX links_by_unit ON ${s}.links (pipeline, unit, seen_pass);

  CREATE TABLE ${s}.cursors (
    pipeline TEXT COLLATE "C" NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    cursor TEXT,
    pass_id TEXT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (pipeline, unit)
  );

  CREATE TABLE ${s}.runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline TEXT COLLATE "C" NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    stats JSONB NOT NULL,
    error TEXT
  );
  CREATE INDEX runs_by_unit ON ${s}.runs (pipeline, unit, id);

  CREATE TABLE ${s}.dead_letters (
    pipeline TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    error TEXT NOT NULL,
    record TEXT,
    attempts INTEGER NOT NULL,
    first_failed_ms BIGINT NOT NULL,
    last_failed_ms BIGINT NOT NULL,
    PRIMARY KEY (pipeline, key)
  );

  CREATE TABLE ${s}.units (
    pipeline TEXT COLLATE "C" NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    next_run_ms BIGINT,
    paused BOOLEAN NOT NULL DEFAULT FALSE,
    paused_reason TEXT,
    sync_requested BOOLEAN NOT NULL DEFAULT FALSE,
    requested_keys JSONB,
    last_run_id BIGINT,
    lease_owner TEXT,
    lease_expires_ms BIGINT,
    PRIMARY KEY (pipeline, unit)
  );

  CREATE TABLE ${s}.secrets (
    name TEXT COLLATE "C" PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
  );
  `,
  },
  {
    id: 'twoway-sync',
    sql: (s) => `
  CREATE TABLE ${s}.twoway_pairs (
    task TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    left_key TEXT COLLATE "C",
    right_key TEXT COLLATE "C",
    base JSONB NOT NULL,
    left_seen JSONB,
    right_seen JSONB,
    pending TEXT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (task, id)
  );
  CREATE UNIQUE INDEX twoway_pairs_left ON ${s}.twoway_pairs (task, left_key);
  CREATE UNIQUE INDEX twoway_pairs_right ON ${s}.twoway_pairs (task, right_key);

  CREATE TABLE ${s}.twoway_cursors (
    task TEXT COLLATE "C" NOT NULL,
    side TEXT NOT NULL,
    cursor TEXT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (task, side)
  );

  CREATE TABLE ${s}.twoway_conflicts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task TEXT COLLATE "C" NOT NULL,
    pair_id TEXT COLLATE "C" NOT NULL,
    left_key TEXT,
    right_key TEXT,
    field TEXT NOT NULL,
    left_value JSONB,
    right_value JSONB,
    base_value JSONB,
    detected_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    decision JSONB,
    decided_ms BIGINT
  );
  CREATE UNIQUE INDEX twoway_conflicts_live ON ${s}.twoway_conflicts (task, pair_id, field)
    WHERE state IN ('open', 'decided');
  CREATE INDEX twoway_conflicts_by_state ON ${s}.twoway_conflicts (state, task);
  `,
  },
  {
    id: 'twoway-inflight',
    sql: (s) => `ALTER TABLE ${s}.twoway_pairs ADD COLUMN inflight JSONB;`,
  },
  {
    id: 'lease-fencing',
    sql: (s) => `
  ALTER TABLE ${s}.units ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE ${s}.units ADD COLUMN lease_since_ms BIGINT;
  `,
  },
  {
    id: 'twoway-pairs-with-state',
    sql: (s) => `
  CREATE INDEX twoway_pairs_with_state ON ${s}.twoway_pairs (task)
    WHERE pending IS NOT NULL OR inflight IS NOT NULL OR left_seen IS NOT NULL
      OR right_seen IS NOT NULL OR left_key IS NULL OR right_key IS NULL;
  `,
  },
];
