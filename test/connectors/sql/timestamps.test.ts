import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lookbackStart } from '../../../src/connectors/sql/cursor.js';
import { parseTimestamp, shiftTimestampBack } from '../../../src/connectors/sql/timestamps.js';

describe('cursor date-times', () => {
  it('reads ISO, SQLite and PostgreSQL forms, zone-less ones as UTC', () => {
    const expected = new Date('2024-01-02T03:04:05.678Z');
    expect(parseTimestamp('2024-01-02T03:04:05.678Z')).toEqual(expected);
    expect(parseTimestamp('2024-01-02 03:04:05.678')).toEqual(expected);
    expect(parseTimestamp('2024-01-02 03:04:05.678901+00')).toEqual(expected);
    expect(parseTimestamp('2024-01-02 05:34:05.678+02:30')).toEqual(expected);
    expect(parseTimestamp('2024-01-01 22:04:05.678-05')).toEqual(expected);
    expect(parseTimestamp('not a time')).toBeNull();
    expect(parseTimestamp('12345')).toBeNull();
  });

  it('moves a date-time back keeping its shape, so text comparison still orders it', () => {
    expect(shiftTimestampBack('2024-01-02T03:04:05.678Z', 60_000)).toBe('2024-01-02T03:03:05.678Z');
    expect(shiftTimestampBack('2024-01-02 03:04:05', 5_000)).toBe('2024-01-02 03:04:00');
    expect(shiftTimestampBack('2024-01-02 00:00:30.123456+00', 60_000)).toBe(
      '2024-01-01 23:59:30.123000+00',
    );
    expect(shiftTimestampBack('2024-01-02 01:00:00+05:30', 3_600_000)).toBe(
      '2024-01-02 00:00:00+05:30',
    );
    expect(shiftTimestampBack('2024-03-01', 1)).toBe('2024-02-29');
  });

  it('looks back on numbers in their own unit and refuses other text', () => {
    expect(lookbackStart(1_000_000, 5_000, 't', 'version')).toBe(995_000);
    expect(() => lookbackStart('abc', 5_000, 't', 'version')).toThrow(/t\.version holds "abc"/);
  });
});

describe('the common date-time shapes', () => {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const shapes = (date: Date) => {
    const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
    const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
    const millis = `.${pad(date.getUTCMilliseconds(), 3)}`;
    return { day, time, millis };
  };

  it('reads every shape with and without milliseconds and Z as the same moment', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom('T', ' '),
        (date, separator) => {
          const { day, time, millis } = shapes(date);
          const whole = Math.floor(date.getTime() / 1000) * 1000;
          expect(parseTimestamp(`${day}${separator}${time}${millis}Z`)?.getTime()).toBe(
            date.getTime(),
          );
          expect(parseTimestamp(`${day}${separator}${time}${millis}`)?.getTime()).toBe(
            date.getTime(),
          );
          expect(parseTimestamp(`${day}${separator}${time}Z`)?.getTime()).toBe(whole);
          expect(parseTimestamp(`${day}${separator}${time}`)?.getTime()).toBe(whole);
        },
      ),
    );
  });

  it('refuses a shape with a letter where a digit goes, and still reads lower-case t and z', () => {
    expect(parseTimestamp('2024-01-0x 03:04:05')).toBeNull();
    expect(parseTimestamp('2024-01-02T03:04:05.6x8Z')).toBeNull();
    expect(parseTimestamp('2024-01-02t03:04:05.678z')).toEqual(
      new Date('2024-01-02T03:04:05.678Z'),
    );
    // Out-of-range fields roll over as Date.UTC does, on either path.
    expect(parseTimestamp('2024-13-02 03:04:05')).toEqual(parseTimestamp('2024-13-02 03:04:05+00'));
  });
});
