import type { Pg } from '../../store/index.js';

/** PostgreSQL's type id of `timestamp with time zone`. */
export const TIMESTAMPTZ_OID = 1184;

type TextParser = (text: string) => unknown;

/** What a `pg` query's `types` option must offer. */
export interface PgTypes {
  getTypeParser(oid: number, format?: string): TextParser;
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const SEPARATORS: ReadonlyArray<readonly [number, string]> = [
  [4, '-'],
  [7, '-'],
  [10, ' '],
  [13, ':'],
  [16, ':'],
];

/**
 * Type parsers that read UTC `timestamptz` text (`2024-01-02 03:04:05.123456+00`, what a
 * server whose TimeZone is UTC sends) without the driver's three regular expressions per
 * value, a first sync's most frequent column parse. They give the Date the driver's own
 * parser gives: same Date.UTC arguments, the fraction read with the same parseFloat; any
 * other shape (zones, BC, infinity, years below 1000) goes to the driver's parser.
 * Undefined when the installed parser is not the driver's default (an application that
 * set its own keeps it).
 */
export function fastTimestamptzTypes(pg: Pg): PgTypes | undefined {
  const installed = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as TextParser;
  if (!parsesLikeDefault(installed)) return undefined;
  const parse = (text: string) => utcTimestamptz(text) ?? installed(text);
  return {
    getTypeParser: (oid, format = 'text') =>
      oid === TIMESTAMPTZ_OID && format === 'text'
        ? parse
        : (pg.types.getTypeParser(oid, format as 'text') as TextParser),
  };
}

/** The Date of a `YYYY-MM-DD HH:MM:SS[.f]+00` text, or undefined for any other shape. */
export function utcTimestamptz(text: string): Date | undefined {
  const length = text.length;
  if (length < 22 || length > 29 || !text.endsWith('+00')) return undefined;
  for (const position of DIGIT_POSITIONS) if (!isDigit(text, position)) return undefined;
  for (const [position, separator] of SEPARATORS) {
    if (text[position] !== separator) return undefined;
  }
  let ms = 0;
  if (length > 22) {
    if (text[19] !== '.' || length === 23) return undefined;
    for (let position = 20; position < length - 3; position++) {
      if (!isDigit(text, position)) return undefined;
    }
    ms = 1000 * Number.parseFloat(text.slice(19, length - 3));
  }
  const year = number(text, 0, 4);
  // Date.UTC reads years 0-99 as 1900-1999; the driver corrects that, so it parses those.
  if (year < 1000) return undefined;
  return new Date(
    Date.UTC(
      year,
      number(text, 5, 7) - 1,
      number(text, 8, 10),
      number(text, 11, 13),
      number(text, 14, 16),
      number(text, 17, 19),
      ms,
    ),
  );
}

function isDigit(text: string, position: number): boolean {
  const code = text.charCodeAt(position);
  return code >= 48 && code <= 57;
}

function number(text: string, start: number, end: number): number {
  let value = 0;
  for (let position = start; position < end; position++) {
    value = value * 10 + text.charCodeAt(position) - 48;
  }
  return value;
}

/** A parser set by the application would not give these Dates (or no Date at all). */
function parsesLikeDefault(parser: TextParser): boolean {
  const samples = ['2024-01-02 03:04:05.678901+00', '2024-01-02 03:04:05+00'];
  return samples.every((sample) => {
    const parsed = parser(sample);
    return parsed instanceof Date && parsed.getTime() === utcTimestamptz(sample)?.getTime();
  });
}
