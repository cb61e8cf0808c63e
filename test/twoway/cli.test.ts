import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { keepsync } from '../support/cli.js';

const config = `
import { defineConfig } from 'keepsync';
import * as files from 'keepsync/connectors/files';
import * as sql from 'keepsync/connectors/sql';

export default defineConfig({
  pipelines: [],
  twoWay: [{
    name: 'notes',
    left: sql.twoWaySide({ client: sql.sqliteClient('app.db'), table: 'notes', cursorColumn: 'updated_at' }),
    right: files.twoWaySide({ dir: 'notes' }),
    fields: { title: 'title' },
    conflict: 'manual',
  }],
});
`;

describe('keepsync CLI with a two-way task', () => {
  it('`run` runs it, `conflicts list` shows a conflict, `conflicts resolve` decides it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-cli-twoway-'));
    writeFileSync(join(dir, 'keepsync.config.ts'), config);
    const db = new Database(join(dir, 'app.db'));
    db.exec('CREATE TABLE notes (key TEXT PRIMARY KEY, title TEXT, updated_at TEXT)');
    db.prepare("INSERT INTO notes VALUES ('n1', 'Draft', '2024-01-01T00:00:00.000Z')").run();
    mkdirSync(join(dir, 'notes'));

    const first = await keepsync(dir, 'run', '--once', '--json');
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)[0]).toMatchObject({ pipeline: 'notes', status: 'succeeded' });
    const file = join(dir, 'notes', 'n1.yaml');
    expect(parse(readFileSync(file, 'utf8')).fields).toEqual({ title: 'Draft' });

    db.prepare(
      "UPDATE notes SET title = 'From SQL', updated_at = '2024-01-02T00:00:00.000Z'",
    ).run();
    writeFileSync(file, 'key: n1\nfields:\n  title: From files\n');
    // A run that leaves a conflict open for a person says so with exit code 6.
    expect((await keepsync(dir, 'run', '--once')).code).toBe(6);

    const listed = await keepsync(dir, 'conflicts', 'list', '--json');
    const conflicts = JSON.parse(listed.stdout);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      task: 'notes',
      field: 'title',
      leftValue: 'From SQL',
      rightValue: 'From files',
      baseValue: 'Draft',
      state: 'open',
    });
    const table = await keepsync(dir, 'conflicts', 'list');
    expect(table.stdout).toContain('"From files"');

    const bad = await keepsync(
      dir,
      'conflicts',
      'resolve',
      String(conflicts[0].id),
      '--take',
      'value',
      'not json',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/JSON/);
    const resolved = await keepsync(
      dir,
      'conflicts',
      'resolve',
      String(conflicts[0].id),
      '--take',
      'value',
      '"Merged"',
    );
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/decided/);
    expect((await keepsync(dir, 'run', '--once')).code).toBe(0);
    expect(parse(readFileSync(file, 'utf8')).fields).toEqual({ title: 'Merged' });
    expect(db.prepare('SELECT title FROM notes').get()).toEqual({ title: 'Merged' });
    expect(JSON.parse((await keepsync(dir, 'conflicts', 'list', '--json')).stdout)).toEqual([]);
    const again = await keepsync(
      dir,
      'conflicts',
      'resolve',
      String(conflicts[0].id),
      '--take',
      'left',
    );
    expect(again.code).toBe(2);
    db.close();
  }, 120_000);
});
