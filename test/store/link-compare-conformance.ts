import { describe, expect, it } from 'vitest';
import type { LinkWrite, PageCommit, Store } from '../../src/store/index.js';

export interface LinkCompareSuiteContext {
  /** The suite's store, opened in its beforeAll. */
  readonly store: () => Store;
  readonly freshPipeline: () => string;
  /** Commits a page of unit `u`; returns its run id. */
  readonly commit: (pipeline: string, changes?: Partial<PageCommit>) => Promise<number>;
}

function link(key: string, overrides: Partial<LinkWrite> = {}): LinkWrite {
  return { key, destId: `dest-${key}`, hash: `hash-${key}`, sourceUpdatedMs: null, ...overrides };
}

/**
 * Store.getChangedLinks, shared by every Store backend (part of the store conformance suite):
 * the no-change pass trusts a key left out of the answer to be linked with the hash it sent.
 */
export function describeLinkCompareConformance(context: LinkCompareSuiteContext): void {
  const { freshPipeline, commit } = context;

  describe('changed links', () => {
    it('leaves out keys linked with the hash given, and answers the others with their link', async () => {
      const p = freshPipeline();
      await commit(p, {
        links: [link('same'), link('other', { sourceUpdatedMs: 1_700_000_000_123 })],
      });

      const answer = await context.store().getChangedLinks(
        p,
        new Map([
          ['same', 'hash-same'],
          ['other', 'new-hash'],
        ]),
      );

      expect([...answer.entries()]).toEqual([
        [
          'other',
          {
            key: 'other',
            destId: 'dest-other',
            hash: 'hash-other',
            sourceUpdatedMs: 1_700_000_000_123,
          },
        ],
      ]);
    });

    it('answers keys without a link with null, on a page of only new keys and on a mixed page', async () => {
      const p = freshPipeline();
      await commit(p, { links: [link('old'), link('changed')] });
      const store = context.store();

      const fresh = await store.getChangedLinks(
        p,
        new Map([
          ['new-1', 'h'],
          ['new-2', 'h'],
        ]),
      );
      const mixed = await store.getChangedLinks(
        p,
        new Map([
          ['old', 'hash-old'],
          ['changed', 'h2'],
          ['new', 'h3'],
        ]),
      );

      expect(Object.fromEntries(fresh)).toEqual({ 'new-1': null, 'new-2': null });
      expect(Object.fromEntries(mixed)).toEqual({
        changed: {
          key: 'changed',
          destId: 'dest-changed',
          hash: 'hash-changed',
          sourceUpdatedMs: null,
        },
        new: null,
      });
    });

    it('always answers a null hash (a deletion): the link, or null when there is none', async () => {
      const p = freshPipeline();
      await commit(p, { links: [link('gone')] });

      const answer = await context.store().getChangedLinks(
        p,
        new Map<string, string | null>([
          ['gone', null],
          ['never', null],
        ]),
      );

      expect(answer.get('gone')?.destId).toBe('dest-gone');
      expect(answer.get('never')).toBeNull();
      expect(answer.size).toBe(2);
    });

    it('compares within the pipeline only, and answers no keys with nothing', async () => {
      const p = freshPipeline();
      const elsewhere = freshPipeline();
      await commit(p, { links: [link('a')] });

      expect(
        Object.fromEntries(
          await context.store().getChangedLinks(elsewhere, new Map([['a', 'hash-a']])),
        ),
      ).toEqual({
        a: null,
      });
      expect((await context.store().getChangedLinks(p, new Map())).size).toBe(0);
    });

    it('finds keys with quotes, backslashes, unicode, numbers and __proto__ as they are', async () => {
      const p = freshPipeline();
      const keys = ['"quoted"', 'back\\slash', 'ünïcødé 🙂', '10', '2', '__proto__', '', ' '];
      await commit(p, { links: keys.map((key) => link(key)) });
      const store = context.store();

      const unchanged = await store.getChangedLinks(
        p,
        new Map(keys.map((key) => [key, `hash-${key}`])),
      );
      const changed = await store.getChangedLinks(p, new Map(keys.map((key) => [key, 'new'])));

      expect(unchanged.size).toBe(0);
      expect([...changed.keys()].sort()).toEqual([...keys].sort());
      for (const key of keys) expect(changed.get(key)?.destId).toBe(`dest-${key}`);
    });

    it('compares a page of 5,000 keys at once', async () => {
      const p = freshPipeline();
      const keys = Array.from({ length: 5000 }, (_, index) => `k${index}`);
      await commit(p, { links: keys.map((key) => link(key)) });

      const hashes = new Map(
        keys.map((key, index) => [key, index % 100 === 0 ? 'new' : `hash-${key}`]),
      );
      const answer = await context.store().getChangedLinks(p, hashes);

      expect([...answer.keys()].sort()).toEqual(
        keys.filter((_, index) => index % 100 === 0).sort(),
      );
    });
  });
}
