import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import * as files from '../../src/connectors/files/index.js';
import * as memory from '../../src/connectors/memory/index.js';
import * as sql from '../../src/connectors/sql/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import type { Store } from '../../src/store/index.js';
import { type Destination, definePipeline, runPipeline } from '../../src/sync/index.js';
import { verifyPipeline } from '../../src/verify/index.js';
import { freshDatabase } from '../support/postgres.js';
import { memoryStore } from '../sync/helpers.js';

/** Records with every kind of neutral value, so a no-drift verify proves the read-back is exact. */
function records(count: number): SyncRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `k${String(index).padStart(3, '0')}`,
    fields: {
      title: `Record ${index}`,
      n: index + 0.5,
      done: index % 2 === 0,
      due: new Date(Date.UTC(2026, 0, 1 + index, 12)),
      tags: { level: index % 3, names: ['a', `b${index}`] },
      note: null,
    },
  }));
}

/** A destination under test, and the hands of a person editing it behind keepsync's back. */
interface Harness {
  readonly destination: Destination;
  /** Changes one field of an object in place. */
  edit(key: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Adds an object keepsync never wrote. */
  add(key: string): Promise<void>;
  /** Every write that reached the destination so far (a count or a fingerprint). */
  writes(): Promise<string>;
  /** The title stored for a key, or undefined when the object is gone. */
  title(key: string): Promise<unknown>;
  close(): Promise<void>;
}

function memoryHarness(): Harness {
  const destination = memory.destination();
  const byKey = (key: string) => [...destination.objects.values()].find((o) => o.key === key);
  return {
    destination,
    async edit(key) {
      byKey(key)!.fields = { ...byKey(key)!.fields, title: 'edited by hand' };
    },
    async remove(key) {
      destination.objects.delete(byKey(key)!.id);
    },
    async add(key) {
      destination.objects.set('hand', {
        id: 'hand',
        key,
        fields: { title: 'hand-made' },
        body: undefined,
        archived: false,
      });
    },
    writes: async () => String(destination.writes.length),
    title: async (key) => byKey(key)?.fields.title,
    async close() {},
  };
}

function sqliteHarness(): Harness {
  const db = new Database(':memory:');
  const client = sql.sqliteClient(db);
  const destination = sql.destination({ client, table: 'items', createTable: true });
  let audited = false;
  // Every insert, update or delete on the table is counted by triggers, so "wrote nothing"
  // is checked inside the database rather than inferred.
  const audit = () => {
    if (audited) return;
    audited = true;
    db.exec(`CREATE TABLE audit (n INTEGER);
      CREATE TRIGGER ai AFTER INSERT ON items BEGIN INSERT INTO audit VALUES (1); END;
      CREATE TRIGGER au AFTER UPDATE ON items BEGIN INSERT INTO audit VALUES (1); END;
      CREATE TRIGGER ad AFTER DELETE ON items BEGIN INSERT INTO audit VALUES (1); END;`);
  };
  return {
    destination,
    async edit(key) {
      db.prepare(`UPDATE items SET title = 'edited by hand' WHERE key = ?`).run(key);
    },
    async remove(key) {
      db.prepare('DELETE FROM items WHERE key = ?').run(key);
    },
    async add(key) {
      db.prepare(`INSERT INTO items (key, title) VALUES (?, 'hand-made')`).run(key);
      audit();
    },
    writes: async () => {
      audit();
      return String((db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n);
    },
    title: async (key) =>
      (db.prepare('SELECT title FROM items WHERE key = ?').get(key) as { title?: string })?.title,
    async close() {
      db.close();
    },
  };
}

function filesHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-verify-'));
  const path = (key: string) => join(dir, `${key}.yaml`);
  return {
    destination: files.destination({ dir }),
    async edit(key) {
      writeFileSync(
        path(key),
        readFileSync(path(key), 'utf8').replace(/title: .*/, 'title: edited by hand'),
      );
    },
    async remove(key) {
      rmSync(path(key));
    },
    async add(key) {
      writeFileSync(path(key), `key: ${key}\nfields:\n  title: hand-made\n`);
    },
    // Names, sizes and modification times of every file: any write changes it.
    writes: async () =>
      readdirSync(dir)
        .sort()
        .map((name) => {
          const stat = statSync(join(dir, name));
          return `${name}:${stat.size}:${stat.mtimeMs}`;
        })
        .join('|'),
    title: async (key) => {
      try {
        return /title: (.*)/.exec(readFileSync(path(key), 'utf8'))?.[1];
      } catch {
        return undefined;
      }
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const database = freshDatabase('verify');
afterAll(() => database.drop());

async function postgresHarness(): Promise<Harness> {
  const pool = await database.pool();
  const table = `items_${Math.random().toString(36).slice(2, 8)}`;
  const client = sql.postgresClient(pool);
  const destination = sql.destination({ client, table, createTable: true });
  let audited = false;
  const audit = async () => {
    if (audited) return;
    audited = true;
    await pool.query(`CREATE TABLE ${table}_audit (n INTEGER);
      CREATE FUNCTION ${table}_count() RETURNS trigger AS $$
        BEGIN INSERT INTO ${table}_audit VALUES (1); RETURN NULL; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER counted AFTER INSERT OR UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ${table}_count();`);
  };
  return {
    destination,
    async edit(key) {
      await pool.query(`UPDATE ${table} SET title = 'edited by hand' WHERE key = $1`, [key]);
    },
    async remove(key) {
      await pool.query(`DELETE FROM ${table} WHERE key = $1`, [key]);
    },
    async add(key) {
      await pool.query(`INSERT INTO ${table} (key, title) VALUES ($1, 'hand-made')`, [key]);
      await audit();
    },
    writes: async () => {
      await audit();
      return String((await pool.query(`SELECT count(*) AS n FROM ${table}_audit`)).rows[0].n);
    },
    title: async (key) =>
      (await pool.query(`SELECT title FROM ${table} WHERE key = $1`, [key])).rows[0]?.title,
    async close() {},
  };
}

const harnesses: ReadonlyArray<[string, () => Harness | Promise<Harness>]> = [
  ['memory', memoryHarness],
  ['SQLite', sqliteHarness],
  ['PostgreSQL', postgresHarness],
  ['files (YAML)', filesHarness],
];

async function syncedPipeline(harness: Harness, store: Store) {
  const pipeline = definePipeline({
    name: 'items',
    source: memory.source({ units: { all: records(30) } }),
    destination: harness.destination,
  });
  const first = await runPipeline({ store, pipeline, unit: 'all' });
  expect(first.stats.created).toBe(30);
  return pipeline;
}

describe.each(harnesses)('drift verification on the %s destination', (_name, make) => {
  it('a verify of an untouched destination finds no drift and writes nothing', async () => {
    const harness = await make();
    const store = memoryStore();
    try {
      const pipeline = await syncedPipeline(harness, store);
      const before = await harness.writes();
      const result = await verifyPipeline({ store, pipeline, unit: 'all', repair: true });
      expect(result.status).toBe('succeeded');
      expect(result.drift).toEqual({ missing: 0, changed: 0, extra: 0, repaired: 0 });
      expect(result.stats.unchanged).toBe(30);
      expect(result.repair).toBeNull();
      expect(await harness.writes()).toBe(before);
    } finally {
      await store.close();
      await harness.close();
    }
  });

  it('finds exactly the objects edited, deleted and added by hand, and repairs the first two', async () => {
    const harness = await make();
    const store = memoryStore();
    try {
      const pipeline = await syncedPipeline(harness, store);
      await harness.edit('k003');
      await harness.edit('k017');
      await harness.remove('k009');
      await harness.add('hand-1');
      const written = await harness.writes();

      const found = await verifyPipeline({ store, pipeline, unit: 'all' });
      expect(found.drift).toEqual({ missing: 1, changed: 2, extra: 1, repaired: 0 });
      expect(found.keys).toEqual({
        missing: ['k009'],
        changed: ['k003', 'k017'],
        extra: ['hand-1'],
      });
      expect(await harness.writes()).toBe(written);

      const repaired = await verifyPipeline({ store, pipeline, unit: 'all', repair: true });
      expect(repaired.status).toBe('succeeded');
      expect(repaired.drift).toEqual({ missing: 1, changed: 2, extra: 1, repaired: 3 });
      expect(repaired.repair?.stats).toMatchObject({ read: expect.any(Number), failed: 0 });
      expect(repaired.repair!.stats.created + repaired.repair!.stats.updated).toBe(3);
      for (const key of ['k003', 'k009', 'k017']) {
        expect(await harness.title(key)).toBe(`Record ${Number(key.slice(1))}`);
      }
      // Hand-added objects stay.
      expect(await harness.title('hand-1')).toBe('hand-made');

      const after = await harness.writes();
      const clean = await verifyPipeline({ store, pipeline, unit: 'all', repair: true });
      expect(clean.drift).toEqual({ missing: 0, changed: 0, extra: 1, repaired: 0 });
      expect(await harness.writes()).toBe(after);
      // The next ordinary run writes nothing either: the repaired links hold the right hashes.
      const next = await runPipeline({ store, pipeline, unit: 'all' });
      expect(next.stats).toMatchObject({ created: 0, updated: 0, unchanged: 30 });

      const runs = await store.listRuns({ pipeline: 'items', limit: 10 });
      // Newest first: each verification is a run of its own, the repair a targeted run.
      expect(runs.map((run) => run.trigger)).toEqual([
        'manual',
        'verify',
        'repair',
        'verify',
        'verify',
        'manual',
      ]);
      const verifyRuns = runs.filter((run) => run.trigger === 'verify');
      expect(verifyRuns.map((run) => run.stats.drift?.repaired)).toEqual([0, 3, 0]);
    } finally {
      await store.close();
      await harness.close();
    }
  });
});

describe('drift verification options', () => {
  const source = memory.source({ units: { all: records(2) } });

  it('refuses an unknown key in `verify`, naming the closest valid one', () => {
    expect(() =>
      definePipeline({
        name: 'p',
        source,
        destination: memory.destination(),
        verify: { every: '1d' } as never,
      }),
    ).toThrow(/verify/);
    expect(() =>
      definePipeline({
        name: 'p',
        source,
        destination: memory.destination(),
        verify: { everyMs: 86_400_000, repiar: true } as never,
      }),
    ).toThrow(/repiar.*repair|repair.*repiar/);
  });

  it('refuses a verification more often than once a minute', () => {
    expect(() =>
      definePipeline({
        name: 'p',
        source,
        destination: memory.destination(),
        verify: { everyMs: 1000 },
      }),
    ).toThrow(/verify\.everyMs/);
  });

  it('refuses `verify` on a destination that cannot list its objects', () => {
    const blind: Destination = { name: 'blind', open: memory.destination().open };
    expect(() =>
      definePipeline({ name: 'p', source, destination: blind, verify: { everyMs: 60_000 } }),
    ).toThrow(/"blind" cannot/);
  });
});
