import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../../../src/connectors/sql/index.js';
import * as sql from '../../../src/connectors/sql/index.js';

/** Never reached: validation happens before any SQL is sent. */
const client: SqlClient = {
  dialect: 'sqlite',
  query: () => Promise.reject(new Error('no SQL expected')),
  transaction: () => Promise.reject(new Error('no SQL expected')),
  close: async () => {},
};

describe('sql identifiers from config', () => {
  it.each([
    ['a table name with a quote', { table: 'items"; DROP TABLE users; --' }, '`table`'],
    ['a table name with a space', { table: 'my items' }, '`table`'],
    ['an empty table name', { table: '' }, '`table`'],
    ['a schema with a dash', { table: 'my-schema.items' }, 'the schema of `table`'],
    ['three name parts', { table: 'a.b.c' }, '`table`'],
    ['a key column with a dot', { table: 'items', keyColumn: 'items.key' }, '`keyColumn`'],
    [
      'a mapped column with a paren',
      { table: 'items', columns: { title: 'title)' } },
      'the column of field `title`',
    ],
    [
      'an archived column with a quote',
      { table: 'items', archivedColumn: 'a"b' },
      '`archivedColumn`',
    ],
    [
      'a JSON column too long for PostgreSQL',
      { table: 'items', jsonColumn: 'x'.repeat(64) },
      '`jsonColumn`',
    ],
  ])('the destination refuses %s, naming it', (_, options, what) => {
    expect(() => sql.destination({ client, ...options })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`Expected ${what}`),
      }),
    );
  });

  it('names the offending value in the message', () => {
    expect(() => sql.destination({ client, table: 'items; DROP' })).toThrow('got "items; DROP"');
  });

  it('the source refuses a bad cursor column or key column', () => {
    expect(() => sql.source({ client, table: 'items', cursorColumn: 'updated at' })).toThrow(
      /`cursorColumn`/,
    );
    expect(() =>
      sql.source({ client, table: 'items', cursorColumn: 'u', keyColumn: "k'" }),
    ).toThrow(/`keyColumn`/);
  });

  it('accepts plain names and schema-qualified tables', () => {
    expect(() =>
      sql.destination({
        client,
        table: 'public.Items_2',
        keyColumn: 'ID',
        columns: { t: 'title_1' },
      }),
    ).not.toThrow();
    expect(() => sql.source({ client, table: 'items', cursorColumn: 'updated_at' })).not.toThrow();
  });

  it('refuses source options that cannot page', () => {
    expect(() => sql.source({ client, table: 'items', cursorColumn: 'u', pageSize: 0 })).toThrow(
      /pageSize/,
    );
    expect(() => sql.source({ client, table: 'items', cursorColumn: 'u', lookbackMs: -1 })).toThrow(
      /lookbackMs/,
    );
  });
});
