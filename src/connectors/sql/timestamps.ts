/**
 * Date-times as databases write them: ISO 8601 (`2024-01-02T03:04:05.678Z`), SQLite's
 * `2024-01-02 03:04:05` (UTC) and PostgreSQL's `2024-01-02 03:04:05.678901+00`.
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

interface ParsedTimestamp {
  readonly ms: number;
  readonly match: RegExpExecArray;
  readonly offsetMinutes: number;
}

function parse(text: string): ParsedTimestamp | null {
  const match = TIMESTAMP.exec(text);
  if (!match) return null;
  const [, year, month, day, , hour, minute, second, fraction, zone] = match;
  const offsetMinutes = zoneOffsetMinutes(zone);
  const ms =
    Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour ?? 0),
      Number(minute ?? 0),
      Number(second ?? 0),
      Number((fraction ?? '').slice(0, 3).padEnd(3, '0')),
    ) -
    offsetMinutes * 60_000;
  return Number.isNaN(ms) ? null : { ms, match, offsetMinutes };
}

/** The moment a date-time text names, or null when the text is not one. Zone-less means UTC. */
export function parseTimestamp(text: string): Date | null {
  const fixed = parseFixedShape(text);
  if (fixed !== undefined) return new Date(fixed);
  const parsed = parse(text);
  return parsed ? new Date(parsed.ms) : null;
}

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const SPACE = 0x20;
const UPPER_T = 0x54;
const UPPER_Z = 0x5a;

/**
 * The shapes a sync reads by the million, `2024-01-02T03:04:05.678Z` (JavaScript's) and
 * `2024-01-02 03:04:05` (SQLite's), with or without the milliseconds and the `Z`, read digit by
 * digit: no match array and no substrings per value. The same moment as `parse`; undefined for
 * any other text, which the pattern then decides.
 */
function parseFixedShape(text: string): number | undefined {
  const length = text.length;
  if (length !== 19 && length !== 20 && length !== 23 && length !== 24) return undefined;
  const zulu = length === 20 || length === 24;
  const separator = text.charCodeAt(10);
  if (
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    (separator !== UPPER_T && separator !== SPACE) ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON ||
    (length >= 23 && text.charCodeAt(19) !== DOT) ||
    (zulu && text.charCodeAt(length - 1) !== UPPER_Z)
  ) {
    return undefined;
  }
  const ms = Date.UTC(
    digits(text, 0, 4),
    digits(text, 5, 2) - 1,
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    length >= 23 ? digits(text, 20, 3) : 0,
  );
  return Number.isNaN(ms) ? undefined : ms;
}

/** The number `count` decimal digits of `text` from `from` spell; NaN if one is not a digit. */
function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let index = from; index < from + count; index++) {
    const digit = text.charCodeAt(index) - 0x30;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The date-time `deltaMs` earlier, written in the same shape (separator, precision, zone) so
 * a text comparison in the database still orders it correctly. Null when the text is not a
 * date-time. Precision below a millisecond rounds down, which only widens a look-back.
 */
export function shiftTimestampBack(text: string, deltaMs: number): string | null {
  const parsed = parse(text);
  if (!parsed) return null;
  const [, , , , separator, hour, , second, fraction, zone] = parsed.match;
  const local = new Date(parsed.ms - deltaMs + parsed.offsetMinutes * 60_000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  let out = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  if (hour !== undefined) {
    out += `${separator}${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
    if (second !== undefined) out += `:${pad(local.getUTCSeconds())}`;
    if (fraction !== undefined) {
      const millis = pad(local.getUTCMilliseconds(), 3);
      out += `.${fraction.length >= 3 ? millis.padEnd(fraction.length, '0') : millis.slice(0, fraction.length)}`;
    }
  }
  return out + (zone ?? '');
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  return zone.startsWith('-') ? -minutes : minutes;
}
