import { describe, expect, it } from 'vitest';
import { openSqliteStore, storeHandle } from '../../src/store/index.js';
import { COMPARE_LINKS_SQL } from '../../src/store/sqlite-link-compare.js';

describe('SQLite link comparison', () => {
  it('searches the links table by primary key once per page key, never scanning it', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      const handle = storeHandle(store);
      if (handle.dialect !== 'sqlite') throw new Error('expected a SQLite store');
      const { db } = handle;
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${COMPARE_LINKS_SQL}`).all('{}', 'p') as Array<{
          detail: string;
        }>
      ).map((step) => step.detail);

      expect(plan[0]).toMatch(/^SCAN j VIRTUAL TABLE/);
      expect(plan).toContain('SEARCH l USING PRIMARY KEY (pipeline=? AND key=?)');
      expect(plan.some((step) => /SCAN l\b/.test(step))).toBe(false);
    } finally {
      await store.close();
    }
  });
});
