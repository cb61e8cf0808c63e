import { describe, expect, it } from 'vitest';
import type { BaseDocument, OutboxEntry } from '../../src/client/types.js';
import { DocumentView } from '../../src/client/view.js';

const base = (docId: string, extra: Partial<BaseDocument> = {}): BaseDocument => ({
  collection: 'tasks',
  docId,
  version: `v-${docId}`,
  deleted: false,
  data: { id: docId },
  ...extra,
});

let order = 0;
const edit = (docId: string, operation: 'upsert' | 'delete' = 'upsert'): OutboxEntry => {
  order += 1;
  return {
    id: `e${order}`,
    order,
    collection: 'tasks',
    docId,
    operation,
    data: operation === 'delete' ? null : { id: docId, local: true },
    parentVersion: null,
    hlc: `h${order}`,
  };
};

const ids = (view: DocumentView) => view.list('tasks').map((doc) => doc.id);

describe('document view', () => {
  it('lists in id order whatever order documents arrive in, local-only edits merged in', () => {
    const view = new DocumentView((error) => {
      throw error;
    });
    view.setBase([base('b'), base('d'), base('f')]);
    view.addPending(edit('a'));
    view.addPending(edit('e'));
    view.addPending(edit('z'));
    expect(ids(view)).toEqual(['a', 'b', 'd', 'e', 'f', 'z']);
    // Out of order, as a pull or a push answer may bring them.
    view.setBase([base('c'), base('a', { data: { id: 'a', server: true } })]);
    view.setBase([base('0'), base('g', { deleted: true, data: null })]);
    expect(ids(view)).toEqual(['0', 'a', 'b', 'c', 'd', 'e', 'f', 'z']);
    expect(view.get('tasks', 'a')).toMatchObject({ pending: true, data: { local: true } });
    view.setOutbox([]);
    expect(view.get('tasks', 'a')).toMatchObject({ pending: false, data: { server: true } });
    expect(ids(view)).toEqual(['0', 'a', 'b', 'c', 'd', 'f']);
    view.removeBase([{ collection: 'tasks', docId: 'b' }]);
    view.setBase([base('bb')]);
    view.addPending(edit('d', 'delete'));
    expect(ids(view)).toEqual(['0', 'a', 'bb', 'c', 'f']);
  });

  it('keeps id order when the greatest id is sent again, removed and sent back, then a lower one', () => {
    const view = new DocumentView((error) => {
      throw error;
    });
    view.setBase([base('a'), base('c')]);
    view.setBase([base('c', { version: 'v2' })]);
    expect(ids(view)).toEqual(['a', 'c']);
    view.removeBase([{ collection: 'tasks', docId: 'c' }]);
    view.setBase([base('c'), base('b')]);
    expect(ids(view)).toEqual(['a', 'b', 'c']);
    expect(view.base('tasks', 'c')?.version).toBe('v-c');
  });

  it('shows a new server state of a document, not the one a query saw before', () => {
    const view = new DocumentView((error) => {
      throw error;
    });
    view.setBase([base('a')]);
    expect(view.list('tasks')[0]!.data).toEqual({ id: 'a' });
    view.setBase([base('a', { version: 'v2', data: { id: 'a', n: 2 } })]);
    expect(view.list('tasks')[0]).toMatchObject({ version: 'v2', data: { n: 2 } });
    view.setBase([base('a', { version: 'v3', deleted: true, data: null })]);
    expect(view.list('tasks')).toEqual([]);
  });
});
