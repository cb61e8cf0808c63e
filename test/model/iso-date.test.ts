import { describe, expect, it } from 'vitest';
import { isoDate } from '../../src/model/iso-date.js';

describe('isoDate', () => {
  it('formats as toISOString does, across day boundaries, before 1970 and in other eras', () => {
    const times = [
      0,
      -1,
      1,
      86_399_999,
      86_400_000,
      -86_400_000,
      -86_400_001,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(1000, 0, 1),
      Date.UTC(999, 11, 31, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      8.64e15,
      -8.64e15,
    ];
    // Runs within one day and back and forth between days, as records of a page come.
    for (let offset = -3_000; offset <= 3_000; offset += 7)
      times.push(offset, 1.7e12 + offset * 997);
    for (const time of times) {
      const date = new Date(time);
      expect(isoDate(date), `time ${time}`).toBe(date.toISOString());
    }
  });

  it('throws as toISOString does for an invalid Date', () => {
    expect(() => isoDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});
