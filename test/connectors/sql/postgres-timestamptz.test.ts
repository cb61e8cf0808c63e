import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fastTimestamptzTypes,
  TIMESTAMPTZ_OID,
  utcTimestamptz,
} from '../../../src/connectors/sql/postgres-timestamptz.js';

const driverParse = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => unknown;

/** The value as the records hold it: a Date's time (NaN for an invalid Date), or the value. */
const asRead = (value: unknown) => (value instanceof Date ? ['date', value.getTime()] : value);

describe('timestamptz parsers of sql source reads', () => {
  afterEach(() => {
    pg.types.setTypeParser(TIMESTAMPTZ_OID, driverParse);
  });

  it("gives the driver's Date for every fraction length and for calendar edges", () => {
    const texts: string[] = [];
    for (let ms = 0; ms < 1000; ms++) {
      const fraction = String(ms).padStart(3, '0');
      texts.push(`2024-02-29 23:59:59.${fraction}+00`, `2024-02-29 23:59:59.${fraction}999+00`);
    }
    let seed = 7;
    for (let index = 0; index < 5000; index++) {
      seed = (seed * 48271) % 2147483647;
      const digits = String(seed)
        .padStart(10, '0')
        .slice(0, 1 + (index % 6));
      texts.push(`1999-12-31 00:00:0${index % 10}.${digits}+00`);
    }
    texts.push(
      '1000-01-01 00:00:00+00',
      '9999-12-31 23:59:59.999999+00',
      '2023-02-29 12:00:00+00',
      '2024-13-01 00:00:00+00',
    );
    for (const text of texts)
      expect(asRead(utcTimestamptz(text)), text).toEqual(asRead(driverParse(text)));
  });

  it("leaves every other shape to the driver's parser", () => {
    const types = fastTimestamptzTypes(pg)!;
    const parse = types.getTypeParser(TIMESTAMPTZ_OID, 'text');
    const others = [
      'infinity',
      '-infinity',
      '0099-01-02 03:04:05+00',
      '0500-01-02 03:04:05+00',
      '2024-01-02 03:04:05 BC',
      '2024-01-02 03:04:05+05:30',
      '2024-01-02 03:04:05.+00',
      '2024-01-02T03:04:05+00',
      '12024-01-02 03:04:05+00',
    ];
    for (const text of others) {
      expect(utcTimestamptz(text), text).toBeUndefined();
      expect(asRead(parse(text)), text).toEqual(asRead(driverParse(text)));
    }
    expect(types.getTypeParser(20, 'text')).toBe(pg.types.getTypeParser(20, 'text'));
  });

  it('keeps a timestamptz parser the application installed', () => {
    pg.types.setTypeParser(TIMESTAMPTZ_OID, (text: string) => text);
    expect(fastTimestamptzTypes(pg)).toBeUndefined();
  });
});
