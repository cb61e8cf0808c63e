import { describe, expect, it } from 'vitest';
import { isTransientSqlError } from '../../../src/connectors/sql/transient.js';

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
