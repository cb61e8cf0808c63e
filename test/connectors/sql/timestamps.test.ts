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
