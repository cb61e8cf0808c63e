/**
 * `date.toISOString()` for a valid Date, three times faster for the years 1000-9999: V8's own
 * goes through the runtime, and a no-change pass formats one Date per record or more.
 * Other years (six digits with a sign) are left to `toISOString`.
 */
export function isoDate(date: Date): string {
  const year = date.getUTCFullYear();
  if (year < 1000 || year > 9999) return date.toISOString();
  const ms = date.getUTCMilliseconds();
  return `${year}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())}T${twoDigits(
    date.getUTCHours(),
  )}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}.${
    ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms
  }Z`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}
