import pg from 'pg';
import { afterAll, expect, it, vi } from 'vitest';
import { openPostgresStore } from '../../src/store/index.js';
import { type PlanNode, rowsRead } from '../support/pg-plan.js';
import { freshDatabase } from '../support/postgres.js';

const database = freshDatabase('linkplan');
afterAll(() => database.drop());
const originalQuery = pg.Client.prototype.query;

it('compares a page with its links by key, not with every link of the pipeline, when statistics predate the pipeline', async () => {
  const url = await database.url();
  const store = await openPostgresStore({ connectionString: url, secretKey: new Uint8Array(32) });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Statistics taken while the pipeline had no links, as for one created since.
    await admin.query(`ALTER TABLE keepsync.links SET (autovacuum_enabled = false)`);
    await admin.query(
      `INSERT INTO keepsync.links (pipeline, key, unit, dest_id, hash)
       SELECT 'other-' || (n % 20), 'k' || n, 'u', 'd' || n, 'h' FROM generate_series(1, 2000) n`,
    );
    await admin.query('ANALYZE keepsync.links');
    await admin.query(
      `INSERT INTO keepsync.links (pipeline, key, unit, dest_id, hash)
       SELECT 'grown', 'k' || n, 'u', 'd' || n, 'h' FROM generate_series(1, 20000) n`,
    );

    const reads: Array<{ text: string; values: unknown[] }> = [];
    const query = vi.spyOn(pg.Client.prototype, 'query');
    query.mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const [text, values] = args as [string | pg.QueryConfig, unknown[] | undefined];
      if (typeof text === 'string' && text.includes('unnest') && text.includes('links'))
        reads.push({ text, values: values ?? [] });
      return originalQuery.apply(this, args as never);
    });
    // A page of 100: half stored unchanged, a quarter changed, a quarter new.
    const hashes = new Map<string, string>();
    for (let n = 1; n <= 75; n++) hashes.set(`k${n}`, n <= 50 ? 'h' : 'changed');
    for (let n = 1; n <= 25; n++) hashes.set(`new-${n}`, 'h');
    let changed: Awaited<ReturnType<typeof store.getChangedLinks>>;
    try {
      changed = await store.getChangedLinks('grown', hashes);
    } finally {
      query.mockRestore();
    }
    expect(changed.size).toBe(50);

    expect(reads.length).toBe(1);
    const { rows } = await admin.query(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${reads[0]!.text}`,
      reads[0]!.values,
    );
    // One probe a key of the page: the 75 stored, not the pipeline's 20,000.
    expect(rowsRead(rows[0]['QUERY PLAN'][0].Plan as PlanNode, 'links')).toBeLessThanOrEqual(
      hashes.size,
    );
  } finally {
    await admin.end();
    await store.close();
  }
});
