import { describe, expect, it } from 'vitest';
import { canonicalJson, isKeepsyncError, RecordError } from '../../src/model/index.js';

function failure(value: unknown): RecordError {
  try {
    canonicalJson(value);
  } catch (error) {
    expect(error).toBeInstanceOf(RecordError);
    expect(isKeepsyncError(error) && error.code).toBe('RECORD_INVALID');
    return error as RecordError;
  }
  throw new Error('Expected canonicalJson to throw');
}

describe('canonicalJson', () => {
  it('gives the same text whatever the key order, at every depth', () => {
    const one = canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: 'c' } });
    const other = canonicalJson({ a: { c: 'c', d: [3, { x: 2, y: 1 }] }, b: 1 });

    expect(one).toBe(other);
    expect(one).toBe('{"a":{"c":"c","d":[3,{"x":2,"y":1}]},"b":1}');
  });

  it('keeps the order of array items, since it carries meaning', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('writes Dates as ISO strings', () => {
    expect(canonicalJson({ at: new Date('2024-01-02T03:04:05.678Z') })).toBe(
      '{"at":"2024-01-02T03:04:05.678Z"}',
    );
  });

  it('omits undefined object members, so they equal absent ones', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson({ a: undefined, b: 1 })).toBe(canonicalJson({ b: 1 }));
  });

  it('writes undefined array items and a bare undefined as null, like JSON.stringify', () => {
    expect(canonicalJson([1, undefined])).toBe('[1,null]');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('escapes strings and keys exactly as JSON does', () => {
    const tricky = 'quote " backslash \\ newline \n tab \t emoji 🙂 nul \u0000';
    expect(canonicalJson({ [tricky]: tricky })).toBe(JSON.stringify({ [tricky]: tricky }));
  });

  it('accepts objects without a prototype and values shared by two fields', () => {
    const bare = Object.assign(Object.create(null) as object, { z: 1, a: 2 });
    const shared = { n: 1 };

    expect(canonicalJson(bare)).toBe('{"a":2,"z":1}');
    expect(canonicalJson({ left: shared, right: shared })).toBe('{"left":{"n":1},"right":{"n":1}}');
  });

  it('names the field path of a function', () => {
    const error = failure({ a: { b: [1, () => 1] } });

    expect(error.field).toBe('a.b[1]');
    expect(error.message).toContain('field `a.b[1]` is a function');
  });

  it('names the field of a bigint', () => {
    const error = failure({ count: 10n });

    expect(error.field).toBe('count');
    expect(error.message).toContain('field `count` is a bigint');
  });

  it('names the field of a symbol', () => {
    expect(failure({ tag: Symbol('x') }).field).toBe('tag');
  });

  it('refuses NaN and infinities, naming the field', () => {
    expect(failure({ score: Number.NaN }).message).toContain('field `score` is NaN');
    expect(failure({ list: [1, Number.POSITIVE_INFINITY] }).field).toBe('list[1]');
    expect(failure({ low: Number.NEGATIVE_INFINITY }).message).toContain('-Infinity');
  });

  it('refuses an invalid Date, naming the field', () => {
    expect(failure({ when: new Date('not a date') }).message).toContain(
      'field `when` is an invalid Date',
    );
  });

  it('refuses class instances, naming the field and the class', () => {
    class Money {
      amount = 1;
    }

    const money = failure({ price: new Money() });
    expect(money.field).toBe('price');
    expect(money.message).toContain('an instance of Money');
    expect(failure({ tags: new Map() }).message).toContain('an instance of Map');
  });

  it('refuses a cycle, naming the field that closes it', () => {
    const root: Record<string, unknown> = { child: {} };
    (root.child as Record<string, unknown>).parent = root;

    const error = failure(root);

    expect(error.field).toBe('child.parent');
    expect(error.message).toContain('a circular reference');
  });

  it('calls a bad top-level value "the value" and names no field', () => {
    const error = failure(() => 1);

    expect(error.field).toBeUndefined();
    expect(error.message).toContain('the value is a function');
  });
});
