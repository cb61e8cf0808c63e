import { describe, expect, it } from 'vitest';
import { isRecordSqlError, isTransientSqlError } from '../../../src/connectors/sql/transient.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isTransientSqlError', () => {
  it.each([
    ['SQLite busy', withCode('SQLITE_BUSY')],
    ['SQLite busy snapshot', withCode('SQLITE_BUSY_SNAPSHOT')],
    ['SQLite locked', withCode('SQLITE_LOCKED')],
    ['PostgreSQL serialization failure', withCode('40001')],
    ['PostgreSQL deadlock', withCode('40P01')],
    ['PostgreSQL connection failure', withCode('08006')],
    ['PostgreSQL too many connections', withCode('53300')],
    ['PostgreSQL shutting down', withCode('57P01')],
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['a dropped pg connection', new Error('Connection terminated unexpectedly')],
  ])('retries %s', (_, error) => {
    expect(isTransientSqlError(error)).toBe(true);
  });

  it.each([
    ['a SQLite constraint', withCode('SQLITE_CONSTRAINT_NOTNULL')],
    ['a PostgreSQL not-null violation', withCode('23502')],
    ['a PostgreSQL bad value', withCode('22P02')],
    ['a missing table', withCode('42P01')],
    ['a plain error', new Error('syntax error')],
    ['a non-error', 'oops'],
  ])('does not retry %s', (_, error) => {
    expect(isTransientSqlError(error)).toBe(false);
  });
});

describe('isRecordSqlError', () => {
  it.each([
    ['a SQLite not-null constraint', withCode('SQLITE_CONSTRAINT_NOTNULL')],
    ['a SQLite unique constraint', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['a SQLite type mismatch', withCode('SQLITE_MISMATCH')],
    ['a PostgreSQL not-null violation', withCode('23502')],
    ['a PostgreSQL bad value', withCode('22P02')],
    ['a PostgreSQL value too long', withCode('22001')],
  ])('blames the record for %s', (_, error) => {
    expect(isRecordSqlError(error)).toBe(true);
  });

  it.each([
    ['a missing SQLite table', withCode('SQLITE_ERROR', 'no such table: items')],
    ['a read-only SQLite file', withCode('SQLITE_READONLY')],
    ['a full disk', withCode('SQLITE_FULL')],
    ['a missing PostgreSQL table', withCode('42P01')],
    ['no permission', withCode('42501')],
    ['a key without a unique constraint', withCode('42P10')],
    ['a busy database', withCode('SQLITE_BUSY')],
    ['a plain error', new Error('syntax error')],
  ])('blames the table for %s', (_, error) => {
    expect(isRecordSqlError(error)).toBe(false);
  });
});
