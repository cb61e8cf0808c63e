import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/model/index.js';
import {
  idempotencyKey,
  jsonDepth,
  MAX_DATA_DEPTH,
  type WireChange,
} from '../../src/server/protocol.js';

/** The key as keepsync 0.x computed it, from the data's JSON text parsed again. */
function keyFromText(change: WireChange): string {
  const text = change.operation === 'upsert' ? JSON.stringify(change.data ?? {}) : null;
  const digest = createHash('sha256')
    .update(
      canonicalJson([
        change.collection,
        change.doc_id,
        change.parent_version ?? null,
        change.operation,
        change.operation === 'upsert' ? JSON.parse(text ?? 'null') : null,
      ]),
    )
    .digest('base64url');
  return `h:${digest}`;
}

/** What a request body's `data` can be: any JSON object, an own `__proto__` key included. */
const pushedData = fc
  .jsonValue()
  .map(
    (value) =>
      JSON.parse(
        `{"value":${JSON.stringify(value)},"__proto__":${JSON.stringify([value])}}`,
      ) as object,
  );

describe('the idempotency key of a change without an id', () => {
  it('is the digest it was when computed from the JSON text, so a retry across an upgrade still matches', () => {
    fc.assert(
      fc.property(
        pushedData,
        fc.string(),
        fc.constantFrom('upsert', 'delete'),
        (data, docId, operation) => {
          expect(Object.hasOwn(data, '__proto__')).toBe(true);
          const change = {
            collection: 'tasks',
            doc_id: docId,
            operation,
            data,
            parent_version: null,
          } as WireChange;
          expect(idempotencyKey(change)).toBe(keyFromText(change));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('differs when the data differs', () => {
    const change = (data: Record<string, unknown>) =>
      ({ collection: 'c', doc_id: 'd', operation: 'upsert', data }) as WireChange;
    expect(idempotencyKey(change({ a: 1, b: [1, 2] }))).toBe(
      idempotencyKey(change({ b: [1, 2], a: 1 })),
    );
    expect(idempotencyKey(change({ a: 1 }))).not.toBe(idempotencyKey(change({ a: 2 })));
  });
});

/** The plain recursive depth, for values shallow enough to recurse over. */
function referenceDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(referenceDepth));
}

function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = level % 2 ? [value] : { inner: value };
  return value;
}

describe('jsonDepth', () => {
  it('is the nesting depth of any JSON value within the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        expect(jsonDepth(value)).toBe(referenceDepth(value));
      }),
      { numRuns: 500 },
    );
  });

  it('counts an own __proto__ member like any other', () => {
    const value = JSON.parse('{"__proto__": {"a": {"b": [1]}}}');
    expect(jsonDepth(value)).toBe(4);
  });

  it('is exact at the limit and over it beyond, however deep the value goes', () => {
    expect(jsonDepth(nested(MAX_DATA_DEPTH))).toBe(MAX_DATA_DEPTH);
    expect(jsonDepth(nested(MAX_DATA_DEPTH + 1))).toBeGreaterThan(MAX_DATA_DEPTH);
    expect(jsonDepth([1, nested(MAX_DATA_DEPTH + 1)])).toBeGreaterThan(MAX_DATA_DEPTH);
    expect(jsonDepth(nested(100_000))).toBeGreaterThan(MAX_DATA_DEPTH);
  });
});
