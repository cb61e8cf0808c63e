import { KeepsyncError } from '../model/index.js';

/** A `--port` value: a whole number from 0 (any free port) to 65535. */
export function parsePort(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${flag} to be a port from 0 to 65535, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}
