/** Network failures of the connection itself. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock, lock timeout,
 * shutdown or start-up in progress; classes 08 (connection) and 53 (resources) as a whole.
 */
const POSTGRES_CODES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '57014']);

/** Whether retrying the same statement later may succeed. */
export function isTransientSqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return true;
    if (NETWORK_CODES.has(code) || POSTGRES_CODES.has(code)) return true;
    if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
  }
  // pg reports a dropped or unobtainable connection without a code.
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

/** SQLite result codes about the row's own values: a constraint, a type, a size. */
const SQLITE_RECORD_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/**
 * Whether the database refused this row for its own values (a constraint, a bad or too long
 * value: PostgreSQL classes 22 and 23), so only the record is at fault. Anything else (a
 * missing table or column, no permission, a full disk, a key without a unique constraint) is
 * the table's problem and fails the run instead of dead-lettering every record.
 */
export function isRecordSqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return SQLITE_RECORD_CODES.test(code) || /^2[23][0-9A-Z]{3}$/.test(code);
}
