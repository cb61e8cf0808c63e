import { isKeepsyncError } from '../model/index.js';
import { EXIT } from './exit-codes.js';

export interface ExplainedError {
  readonly message: string;
  readonly exitCode: number;
}

const USAGE_CODES = new Set(['CONFIG_INVALID', 'CONNECTOR_UNKNOWN', 'NOT_FOUND']);
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
};

/**
 * The one line a user's mistake or a missing resource deserves, with its exit code; null for
 * anything else (a bug), which keeps its stack trace.
 */
export function explainError(error: unknown): ExplainedError | null {
  if (isKeepsyncError(error)) {
    return {
      message: error.message,
      exitCode: USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.runFailed,
    };
  }
  if (typeof error !== 'object' || error === null) return null;
  const { code, address, port, message } = error as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
  };
  const where = address ? `${address}${port === undefined ? '' : `:${port}`}` : '';
  if (code === 'EADDRINUSE') {
    return {
      message: `${where || 'the port'} is already in use; choose another with --port`,
      exitCode: EXIT.unavailable,
    };
  }
  if (code === 'EACCES' && where) {
    return {
      message: `not allowed to listen on ${where}; choose a port above 1023 with --port`,
      exitCode: EXIT.unavailable,
    };
  }
  if (code === 'EADDRNOTAVAIL') {
    return { message: `cannot listen on ${where}: no such address here`, exitCode: EXIT.usage };
  }
  if (code !== undefined && UNREACHABLE[code]) {
    return {
      message: `cannot reach ${where || 'the server'} (${UNREACHABLE[code]})`,
      exitCode: EXIT.unavailable,
    };
  }
  // PostgreSQL refusals (bad password, missing database) carry an SQLSTATE of class 28 or 3D.
  if (typeof code === 'string' && /^(28|3D)[0-9A-Z]{3}$/.test(code)) {
    return { message: `PostgreSQL refused the connection: ${message}`, exitCode: EXIT.unavailable };
  }
  return null;
}
