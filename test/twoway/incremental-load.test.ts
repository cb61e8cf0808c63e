import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { type TwoWayStore, twoWayStore } from '../../src/twoway/index.js';
import { contents, setup } from './helpers.js';

let open: Store | null = null;
afterEach(async () => {
  await open?.close();
  open = null;
});

/** Counts the pair rows every pair-loading method of the task store returns. */
function countLoads(tw: TwoWayStore): { rows: number } {
  const seen = { rows: 0 };
  const methods = tw as unknown as Record<string, unknown>;
  for (const name of Object.keys(methods)) {
    const method = methods[name];
    if (!name.startsWith('loadPairs') || typeof method !== 'function') continue;
    methods[name] = async (...args: unknown[]) => {
      const pairs = (await method.apply(tw, args)) as unknown[];
      seen.rows += pairs.length;
      return pairs;
    };
  }
  return seen;
}

describe('two-way run with incremental reads on both sides', () => {
  it('loads from the store only the pairs of the changed keys, and counts the rest unchanged', async () => {
    const t = setup({ leftMode: 'incremental', rightMode: 'incremental' });
    open = t.store;
    for (let i = 0; i < 50; i++) t.left.put(`task-${i}`, { title: `Task ${i}`, done: false });
    const first = await t.run();
    expect(first.report.createdRight).toBe(50);
    // The next read returns the 50 created objects (keepsync's own writes): let it pass.
    await t.run();

    t.left.patch('task-7', { title: 'Edited on the left' });
    t.right.patch('task-31', { completed: true });
    const loads = countLoads(twoWayStore(t.store));
    const second = await t.run();

    expect(second.status).toBe('succeeded');
    expect(loads.rows).toBe(2);
    expect(second.report).toMatchObject({ updatedLeft: 1, updatedRight: 1, unchanged: 48 });
    expect(contents(t.right)['task-7']).toEqual({ name: 'Edited on the left', completed: false });
    expect(contents(t.left)['task-31']).toEqual({ title: 'Task 31', done: true });
  });

  it('still finds a created key taken by a pair it did not read', async () => {
    const t = setup({
      leftMode: 'incremental',
      rightMode: 'incremental',
      // The new note is created under the key an earlier, unchanged note was created under.
      createKey: {
        right: (partner) => (['note-3', 'note-new'].includes(partner.key) ? 'inbox' : partner.key),
      },
    });
    open = t.store;
    for (let i = 0; i < 10; i++) t.left.put(`note-${i}`, { title: `Note ${i}`, done: false });
    await t.run();
    await t.run();
    const before = contents(t.right);
    const loads = countLoads(twoWayStore(t.store));

    t.left.put('note-new', { title: 'A new note', done: false });
    const second = await t.run();

    expect(second.report.createdRight).toBe(1);
    // The pair holding `inbox`, loaded for the create; nothing else.
    expect(loads.rows).toBe(1);
    const after = contents(t.right);
    // Every earlier object is untouched; the new one got a free key.
    for (const [key, fields] of Object.entries(before)) expect(after[key]).toEqual(fields);
    expect(Object.keys(after)).toHaveLength(Object.keys(before).length + 1);
    expect(before.inbox).toEqual({ name: 'Note 3', completed: false });
    expect(after['inbox~2']).toEqual({ name: 'A new note', completed: false });
  });
});
