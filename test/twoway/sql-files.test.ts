import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as files from '../../src/connectors/files/index.js';
import * as sql from '../../src/connectors/sql/index.js';
import type { Store } from '../../src/store/index.js';
import { defineTwoWay, runTwoWay } from '../../src/twoway/index.js';
import { memoryStore } from '../sync/helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function world(mode: 'full' | 'incremental') {
  const root = mkdtempSync(join(tmpdir(), 'keepsync-twoway-'));
  const dir = join(root, 'notes');
  const db = new Database(join(root, 'app.db'));
  db.exec(
    'CREATE TABLE notes (key TEXT PRIMARY KEY, title TEXT, status TEXT, updated_at TEXT, extra TEXT)',
  );
  const client = sql.sqliteClient(db);
  const store: Store = memoryStore();
  cleanups.push(async () => {
    await store.close();
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  let clock = Date.UTC(2024, 0, 1);
  const stamp = () => {
    clock += 60_000;
    return new Date(clock).toISOString();
  };
  const task = defineTwoWay({
    name: 'notes',
    left: sql.twoWaySide({ client, table: 'notes', cursorColumn: 'updated_at', mode }),
    right: files.twoWaySide({ dir }),
    fields: { title: 'title', status: 'state' },
    deletes: { left: 'propagate', right: 'propagate' },
  });
  const writeFile = (key: string, fields: Record<string, unknown>, updatedAt?: string) =>
    writeFileSync(
      join(dir, `${key}.yaml`),
      `key: ${key}\n${updatedAt ? `updatedAt: ${updatedAt}\n` : ''}fields:\n${Object.entries(fields)
        .map(([name, value]) => `  ${name}: ${JSON.stringify(value)}\n`)
        .join('')}`,
    );
  return {
    dir,
    db,
    stamp,
    writeFile,
    run: () => runTwoWay({ store, task }),
    rows: () =>
      Object.fromEntries(
        (
          db.prepare('SELECT key, title, status, extra FROM notes ORDER BY key').all() as Array<{
            key: string;
            title: string;
            status: string;
            extra: string | null;
          }>
        ).map(({ key, ...rest }) => [key, rest]),
      ),
    files: () =>
      Object.fromEntries(
        readdirSync(dir)
          .filter((name) => name.endsWith('.yaml'))
          .sort()
          .map((name) => {
            const doc = parse(readFileSync(join(dir, name), 'utf8'));
            return [doc.key, doc.fields];
          }),
      ),
  };
}

describe('two-way sync between a SQL table and a directory of YAML files', () => {
  for (const mode of ['incremental', 'full'] as const) {
    it(`keeps them merged: creates, edits, a conflict, deletes (${mode} SQL reads)`, async () => {
      const w = world(mode);
      const insert = w.db.prepare(
        'INSERT INTO notes (key, title, status, updated_at, extra) VALUES (?, ?, ?, ?, ?)',
      );
      insert.run('n1', 'First', 'open', w.stamp(), 'kept');
      insert.run('n2', 'Second', 'open', w.stamp(), null);
      await import('node:fs/promises').then((fs) => fs.mkdir(w.dir, { recursive: true }));
      w.writeFile('n1', { title: 'First', state: 'open' });
      w.writeFile('n3', { title: 'Third', state: 'done', notes: 'hand-written, not synced' });

      const first = await w.run();
      expect(first.status).toBe('succeeded');
      expect(first.report).toMatchObject({ matched: 1, createdLeft: 1, createdRight: 1 });
      expect(w.rows()).toEqual({
        n1: { title: 'First', status: 'open', extra: 'kept' },
        n2: { title: 'Second', status: 'open', extra: null },
        n3: { title: 'Third', status: 'done', extra: null },
      });
      expect(w.files()).toEqual({
        n1: { title: 'First', state: 'open' },
        n2: { title: 'Second', state: 'open' },
        n3: { title: 'Third', state: 'done', notes: 'hand-written, not synced' },
      });

      // Edits on both sides, one conflict on n2.status, a create and a delete on each side.
      w.db
        .prepare(
          "UPDATE notes SET title = 'Second!', status = 'doing', updated_at = ? WHERE key = 'n2'",
        )
        .run(w.stamp());
      w.writeFile('n2', { title: 'Second', state: 'blocked' }, w.stamp()); // newer: wins status
      w.writeFile('n3', { title: 'Third', state: 'reopened', notes: 'hand-written, not synced' });
      insert.run('n4', 'Fourth', 'open', w.stamp(), null);
      w.writeFile('n5', { title: 'Fifth', state: 'open' });
      rmSync(join(w.dir, 'n1.yaml'));
      const second = await w.run();
      expect(second.status).toBe('succeeded');
      expect(second.report).toMatchObject({
        conflicts: 1,
        createdLeft: 1,
        createdRight: 1,
        deletedLeft: 1,
      });
      const merged = {
        n2: { title: 'Second!', state: 'blocked' },
        n3: { title: 'Third', state: 'reopened' },
        n4: { title: 'Fourth', state: 'open' },
        n5: { title: 'Fifth', state: 'open' },
      };
      expect(w.files()).toEqual({
        ...merged,
        n3: { ...merged.n3, notes: 'hand-written, not synced' },
      });
      expect(
        Object.fromEntries(
          Object.entries(w.rows()).map(([key, row]) => [
            key,
            { title: row.title, state: row.status },
          ]),
        ),
      ).toEqual(merged);

      // Deleting a row deletes its file; a quiet run changes nothing.
      w.db.prepare("DELETE FROM notes WHERE key = 'n4'").run();
      await w.run();
      expect(Object.keys(w.files())).toEqual(['n2', 'n3', 'n5']);
      const quiet = await w.run();
      expect(quiet.report).toMatchObject({
        createdLeft: 0,
        createdRight: 0,
        updatedLeft: 0,
        updatedRight: 0,
        deletedLeft: 0,
        deletedRight: 0,
      });
    });
  }
});
