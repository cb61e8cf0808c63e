import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient, SqlStatement } from '../../../src/connectors/sql/index.js';
import * as sql from '../../../src/connectors/sql/index.js';
import { freshDatabase } from '../../support/postgres.js';
import { keysOf, readPages, run } from './helpers.js';

/**
 * The sql source's page queries must be range searches on an index over (cursor, key): a
 * plan that scans from the start (or sorts every remaining row) makes each page cost
 * O(rows before it), so a full read turns quadratic. Asserted on the databases' own plans.
 */

const ROWS = 20_000;
const NULL_ROWS = 6_000;
const PAGE = 2_000;

/** A client that remembers the page queries (the ones with a LIMIT) it was asked to run. */
function recording(client: SqlClient): { client: SqlClient; pageQueries: SqlStatement[] } {
  const pageQueries: SqlStatement[] = [];
  return {
    pageQueries,
    client: {
      dialect: client.dialect,
      query(text, params = []) {
        if (/\bLIMIT\b/.test(text)) pageQueries.push({ sql: text, params });
        return client.query(text, params);
      },
      transaction: (statements) => client.transaction(statements),
      close: () => client.close(),
    },
  };
}

/** Reads the whole table and a resumed read, returning every page query the source ran. */
async function pageQueriesOfReads(client: SqlClient): Promise<SqlStatement[]> {
  const recorder = recording(client);
  const source = sql.source({
    client: recorder.client,
    table: 'events',
    cursorColumn: 'updated_at',
    pageSize: PAGE,
  });
  const pages = await readPages(source, 'events');
  expect(keysOf(pages)).toHaveLength(ROWS);
  // A resumed read from the middle of the NULL rows and from the middle of the rest.
  const resumed = [
    ...(await readPages(source, 'events', { cursor: { v: null, k: 'n03000' } })),
    ...(await readPages(source, 'events', { cursor: pages[5]!.cursor })),
  ];
  expect(resumed.length).toBeGreaterThan(0);
  return recorder.pageQueries;
}

describe('sql source page queries on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-plan-'));
  const client = sql.sqliteClient(join(dir, 'plan.db'));

  beforeAll(async () => {
    await run(client, 'CREATE TABLE events (key TEXT PRIMARY KEY, title TEXT, updated_at TEXT)');
    await run(client, 'CREATE INDEX events_cursor ON events (updated_at, key)');
    await run(
      client,
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
       INSERT INTO events SELECT
         CASE WHEN i <= ${NULL_ROWS} THEN printf('n%05d', i) ELSE printf('k%06d', i) END,
         'title ' || i,
         CASE WHEN i <= ${NULL_ROWS} THEN NULL
           ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + i / 3, 'unixepoch') END
       FROM n`,
    );
    await run(client, 'ANALYZE');
  });

  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('searches the (cursor, key) index for every page instead of scanning it', async () => {
    const queries = await pageQueriesOfReads(client);
    expect(queries.length).toBeGreaterThan(ROWS / PAGE);
    const scans: string[] = [];
    for (const query of queries) {
      const plan = (await client.query(`EXPLAIN QUERY PLAN ${query.sql}`, query.params))
        .map((row) => String(row.detail))
        .join('\n');
      const search = /^SEARCH events USING .*INDEX events_cursor/.test(plan);
      if (!search || /SCAN|TEMP B-TREE/.test(plan)) scans.push(`${query.sql}\n${plan}`);
    }
    expect(scans).toEqual([]);
  });
});

describe('sql source page queries on PostgreSQL', () => {
  const database = freshDatabase('plan');
  let client: SqlClient;
  let explainer: SqlClient;

  beforeAll(async () => {
    client = sql.postgresClient(await database.pool());
    // At this table size the planner may prefer a bitmap scan and a sort of the few rows
    // left; making those the last resort asks whether an ordered index range scan can serve
    // the query at all, which is what a large table needs and what NULLS FIRST or an OR rule out.
    explainer = sql.postgresClient(
      await database.pool({
        options: '-c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off',
      }),
    );
    await run(
      client,
      'CREATE TABLE events (key TEXT PRIMARY KEY, title TEXT, updated_at TIMESTAMPTZ)',
    );
    await run(client, 'CREATE INDEX events_cursor ON events (updated_at, key)');
    await run(
      client,
      `INSERT INTO events SELECT
         CASE WHEN i <= ${NULL_ROWS} THEN 'n' || lpad(i::text, 5, '0') ELSE 'k' || lpad(i::text, 6, '0') END,
         'title ' || i,
         CASE WHEN i <= ${NULL_ROWS} THEN NULL ELSE to_timestamp(1700000000 + i / 3) END
       FROM generate_series(1, ${ROWS}) AS i`,
    );
    await run(client, 'ANALYZE events');
  });

  afterAll(async () => {
    await client?.close();
    await database.drop();
  });

  it('reads every page with an index scan bounded by the cursor, never a sort', async () => {
    const queries = await pageQueriesOfReads(client);
    expect(queries.length).toBeGreaterThan(ROWS / PAGE);
    const scans: string[] = [];
    for (const query of queries) {
      const plan = (await explainer.query(`EXPLAIN ${query.sql}`, query.params))
        .map((row) => String(row['QUERY PLAN']))
        .join('\n');
      const rangeScan =
        /^Limit .*\n\s*-> {2}Index Scan using events_cursor/.test(plan) &&
        /Index Cond: .*updated_at/.test(plan);
      if (!rangeScan || /Sort|Seq Scan/.test(plan)) scans.push(`${query.sql}\n${plan}`);
    }
    expect(scans).toEqual([]);
  });
});
