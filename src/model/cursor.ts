import { KeepsyncError } from './errors.js';

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * An opaque, JSON-serialisable checkpoint a source returns with each page. It means both
 * "resume here after a crash" and "fetch only what changed since here next time".
 * `null` means "from the start".
 */
export type Cursor = JsonValue;

export function serializeCursor(cursor: Cursor): string {
  return JSON.stringify(cursor);
}

/** Parses a stored cursor; a corrupt one gets an error naming where it came from. */
export function parseCursor(text: string | null | undefined, origin: string): Cursor {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as Cursor;
  } catch (error) {
    throw new KeepsyncError(
      'CURSOR_INVALID',
      `The stored cursor of ${origin} is corrupt (${(error as Error).message}); run \`keepsync reset\` to re-read from the start`,
      { cause: error },
    );
  }
}
