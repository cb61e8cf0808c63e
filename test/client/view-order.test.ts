import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BaseDocument } from '../../src/client/types.js';
import { DocumentView } from '../../src/client/view.js';

const base = (docId: string, version: string): BaseDocument => ({
  collection: 'tasks',
  docId,
  version,
  deleted: false,
  data: { docId, version },
});

/** What the view must show: the last state stored per id, listed in code-unit order. */
class Reference {
  readonly #rows = new Map<string, string>();
  put(docId: string, version: string) {
    this.#rows.set(docId, version);
  }
  remove(docId: string) {
    this.#rows.delete(docId);
  }
  version(docId: string) {
    return this.#rows.get(docId);
  }
  listing() {
    return [...this.#rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

const id = fc.stringMatching(/^[a-e]{1,2}$/);
const operation = fc.oneof(
  // A batch as a full resync or a pull brings it: often ascending, sometimes not.
  fc.record({
    kind: fc.constant('set' as const),
    ids: fc.array(id, { maxLength: 8 }),
    ascending: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('remove' as const), ids: fc.array(id, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('lookup' as const), id }),
  fc.record({ kind: fc.constant('list' as const) }),
);

describe('document view order', () => {
  it('lists and looks up what was stored last, in id order, whatever the order of batches', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        const view = new DocumentView((error) => {
          throw error;
        });
        const reference = new Reference();
        let stamp = 0;
        for (const op of operations) {
          if (op.kind === 'set') {
            const ids = op.ascending ? [...op.ids].sort() : op.ids;
            const docs = ids.map((docId) => base(docId, `v${++stamp}`));
            view.setBase(docs);
            for (const doc of docs) reference.put(doc.docId, doc.version);
          } else if (op.kind === 'remove') {
            view.removeBase(op.ids.map((docId) => ({ collection: 'tasks', docId })));
            for (const docId of op.ids) reference.remove(docId);
          } else if (op.kind === 'lookup') {
            expect(view.base('tasks', op.id)?.version).toBe(reference.version(op.id));
            expect(view.get('tasks', op.id)?.version).toBe(reference.version(op.id));
          } else {
            expect(view.list('tasks').map((doc) => [doc.id, doc.version])).toEqual(
              reference.listing(),
            );
          }
        }
        expect(view.list('tasks').map((doc) => [doc.id, doc.version])).toEqual(reference.listing());
      }),
      { numRuns: 2000 },
    );
  });
});
