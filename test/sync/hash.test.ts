import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/sync/index.js';

describe('contentHash', () => {
  it('keeps the value links already store: sha256 of the canonical JSON, base64url', () => {
    // Stored hashes must stay valid across releases, or every record is rewritten once.
    expect(contentHash('k', { z: 'x', at: new Date('2024-01-01T00:00:00Z'), a: 1 }, 'Body')).toBe(
      'GXIL8r7r2A-9WnZNerZkMULYTHv1Lxc0ihdVLSjL71M',
    );
  });

  it('keeps the stored value of a record without a body', () => {
    expect(
      contentHash('k', { z: 'x', at: new Date('2024-01-01T00:00:00Z'), a: 1 }, undefined),
    ).toBe('nAJ8D2JzllMHGZX-63wed9yLkmDc67MQXxx1HatbbpY');
  });

  it('names the record and the field whose value has no JSON form', () => {
    expect(() => contentHash('k7', { ok: 1, bad: Number.NaN }, undefined)).toThrow(
      /record k7: field `bad`/,
    );
  });
});
