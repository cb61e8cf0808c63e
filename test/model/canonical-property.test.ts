import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/model/index.js';

/**
 * The canonical form as first defined, written for clarity: the stored content hashes of
 * every link were computed from this text, so any faster writer must give it byte for byte.
 */
function reference(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.keys(value)
      .sort()
      .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
      .map(
        (name) => `${JSON.stringify(name)}:${reference((value as Record<string, unknown>)[name])}`,
      );
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Strings that exercise every escaping rule: quotes, controls, lone and paired surrogates. */
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      '\\',
      '\n',
      '\u0000',
      '\u001f',
      '\u007f',
      '\ud800',
      '\udfff',
      'a',
      'é',
      '🙂',
    ),
  }),
);
const date = fc.date({ noInvalidDate: true });
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(-0, 0, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE),
);
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.constant(undefined), date);
/** Names include array-index-like ones, which objects enumerate before the others. */
const name = fc.oneof(text, fc.constantFrom('0', '10', '2', '__proto__x', 'b', 'a', 'A'));
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.dictionary(name, tie('value'), { maxKeys: 8 }),
})).value;

describe('canonicalJson against its reference definition', () => {
  it('gives the reference text for any value, key order or nesting', () => {
    fc.assert(
      fc.property(value, (input) => {
        expect(canonicalJson(input)).toBe(reference(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the reference text for flat records of one shape in changing key orders', () => {
    const record = fc.dictionary(fc.constantFrom('title', 'stars', 'at', 'url', 'z', 'é'), leaf, {
      minKeys: 1,
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
        for (const fields of records) {
          expect(canonicalJson({ f: fields })).toBe(reference({ f: fields }));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('writes Dates of every era as toISOString does', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (at) => {
        expect(canonicalJson(at)).toBe(`"${at.toISOString()}"`);
      }),
      { numRuns: 5000 },
    );
    for (const at of [
      '0999-12-31T23:59:59.999Z',
      '1000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '+010000-01-01T00:00:00.000Z',
      '-000001-06-15T12:00:00.005Z',
    ]) {
      expect(canonicalJson(new Date(at))).toBe(`"${at}"`);
    }
  });
});
