import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { listConflicts, resolveConflict, twoWayStore } from '../../src/twoway/index.js';
import { contents, setup } from './helpers.js';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function make(options: Parameters<typeof setup>[0] = {}) {
  const context = setup(options);
  stores.push(context.store);
  return context;
}

describe('two-way initial sync', () => {
  it('matches by key, creates the rest on the other side, links them, and reports it', async () => {
    const { left, right, run } = make();
    left.put('a', { title: 'A', done: false });
    left.put('b', { title: 'B', done: false });
    right.put('a', { name: 'A', completed: false });
    right.put('c', { name: 'C', completed: true });
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(result.report).toMatchObject({
      matched: 1,
      createdLeft: 1,
      createdRight: 1,
      ambiguous: 0,
    });
    expect(contents(left)).toEqual({
      a: { title: 'A', done: false },
      b: { title: 'B', done: false },
      c: { title: 'C', done: true },
    });
    expect(contents(right)).toEqual({
      a: { name: 'A', completed: false },
      b: { name: 'B', completed: false },
      c: { name: 'C', completed: true },
    });
    const again = await run();
    expect(again.report).toMatchObject({
      createdLeft: 0,
      createdRight: 0,
      updatedLeft: 0,
      updatedRight: 0,
    });
    expect(left.writes.length + right.writes.length).toBe(2);
  });

  it('matches by chosen fields, reports ambiguous matches and leaves them alone', async () => {
    const { left, right, run } = make({ match: { by: ['title'], sameKey: false } });
    left.put('l1', { title: 'Milk', done: false });
    left.put('l2', { title: 'Eggs', done: false });
    left.put('l3', { title: 'Eggs', done: true });
    right.put('r1', { name: 'Milk', completed: false });
    right.put('r2', { name: 'Eggs', completed: false });
    right.put('r3', { name: 'Bread', completed: false });
    const result = await run();
    expect(result.report).toMatchObject({
      matched: 1,
      ambiguous: 3,
      createdLeft: 1,
      createdRight: 0,
    });
    expect(result.ambiguous).toEqual({ left: ['l2', 'l3'], right: ['r2'] });
    expect(contents(left)).toMatchObject({ r3: { title: 'Bread', done: false } });
    expect(right.rows().size).toBe(3);
  });

  it('matches by an explicit key map and by a match function', async () => {
    const { left, right, run } = make({
      match: {
        sameKey: false,
        keys: { l1: 'r9' },
        by: (record) => String(record.values.title).toLowerCase(),
      },
    });
    left.put('l1', { title: 'One', done: false });
    left.put('l2', { title: 'TWO', done: false });
    right.put('r9', { name: 'One', completed: false });
    right.put('r2', { name: 'two', completed: false });
    const result = await run();
    expect(result.report).toMatchObject({ matched: 2, createdLeft: 0, createdRight: 0 });
    // A first match has no base: the differing title is a conflict, settled by `newer`.
    expect(result.report.conflicts).toBe(1);
    expect(right.get('r2')!.fields.name).toBe('two');
    expect(left.get('l2')!.fields.title).toBe('two');
  });

  it('links explicit keys before same keys, and creates what that leaves unlinked', async () => {
    const { left, right, run } = make({ match: { keys: { a: 'b' } } });
    left.put('a', { title: 'A', done: false });
    left.put('b', { title: 'B', done: false });
    left.put('c', { title: 'C', done: false });
    right.put('a', { name: 'Other', completed: true });
    right.put('b', { name: 'A', completed: false });
    right.put('c', { name: 'C', completed: false });
    const result = await run();
    expect(result.report).toMatchObject({ matched: 2, createdLeft: 1, createdRight: 1 });
    expect(contents(left)).toEqual({
      a: { title: 'A', done: false },
      b: { title: 'B', done: false },
      c: { title: 'C', done: false },
      'a~2': { title: 'Other', done: true },
    });
    expect(contents(right)).toEqual({
      a: { name: 'Other', completed: true },
      b: { name: 'A', completed: false },
      c: { name: 'C', completed: false },
      'b~2': { name: 'B', completed: false },
    });
  });

  it('gives pairs ids in the order it makes them, so new pairs append to the pairs table', async () => {
    const { left, right, store, run } = make({ batchSize: 7 });
    const keys = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    keys.forEach((key, i) => {
      left.put(key, { title: `T${i}`, done: false });
      if (i % 3 !== 0) right.put(key, { name: `T${i}`, completed: false });
    });
    await run();
    const pairs = await twoWayStore(store).loadPairs('tasks');
    const byId = pairs.sort((a, b) => (a.id < b.id ? -1 : 1)).map((pair) => pair.leftKey);
    // Matches are planned first, then creates, each in the order read.
    expect(byId).toEqual([
      ...keys.filter((_, i) => i % 3 !== 0),
      ...keys.filter((_, i) => i % 3 === 0),
    ]);
  });
});

describe('two-way three-way merge', () => {
  it('copies a field changed on one side only, and the next run writes nothing', async () => {
    const { left, right, run } = make();
    left.put('a', { title: 'A', done: false });
    await run();
    right.patch('a', { completed: true });
    left.patch('a', { title: 'A2' });
    const result = await run();
    expect(result.report).toMatchObject({ updatedLeft: 1, updatedRight: 1, conflicts: 0 });
    expect(left.get('a')!.fields).toEqual({ title: 'A2', done: true });
    expect(right.get('a')!.fields).toEqual({ name: 'A2', completed: true });
    const writes = left.writes.length + right.writes.length;
    const quiet = await run();
    expect(quiet.report).toMatchObject({ updatedLeft: 0, updatedRight: 0, conflicts: 0 });
    expect(left.writes.length + right.writes.length).toBe(writes);
  });

  it('sees no conflict when both sides changed a field to the same value', async () => {
    const { left, right, run } = make({ conflict: 'manual' });
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { done: true });
    right.patch('a', { completed: true });
    const writes = left.writes.length + right.writes.length;
    const result = await run();
    expect(result.report).toMatchObject({ conflicts: 0, conflictsOpen: 0 });
    expect(left.writes.length + right.writes.length).toBe(writes);
  });

  it('settles a conflict on one field by `newer` while another field of the pair merges cleanly', async () => {
    const { left, right, run, later } = make();
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'from left', done: true }, later());
    right.patch('a', { name: 'from right (newer)' }, later());
    const result = await run();
    expect(result.report.conflicts).toBe(1);
    expect(left.get('a')!.fields).toEqual({ title: 'from right (newer)', done: true });
    expect(right.get('a')!.fields).toEqual({ name: 'from right (newer)', completed: true });
  });

  it('uses the timestamps read, per object, not ones changed by its own writes', async () => {
    const { left, right, run, later } = make();
    left.put('a', { title: 'A', done: false });
    await run();
    // Right is older for both fields: left must win both, whatever order fields are merged in.
    right.patch('a', { name: 'R', completed: false }, later());
    left.patch('a', { title: 'L', done: true }, later());
    right.patch('a', { name: 'R', completed: true }, new Date(0));
    await run();
    expect(left.get('a')!.fields).toEqual({ title: 'L', done: true });
    expect(right.get('a')!.fields).toEqual({ name: 'L', completed: true });
  });

  it('applies left-wins, right-wins and a custom function', async () => {
    for (const [rule, expected] of [
      ['left-wins', 'L'],
      ['right-wins', 'R'],
    ] as const) {
      const { left, right, run } = make({ conflict: rule });
      left.put('a', { title: 'A', done: false });
      await run();
      left.patch('a', { title: 'L' });
      right.patch('a', { name: 'R' });
      await run();
      expect([left.get('a')!.fields.title, right.get('a')!.fields.name]).toEqual([
        expected,
        expected,
      ]);
    }
    const seen: unknown[] = [];
    const { left, right, run } = make({
      conflict: (context) => {
        seen.push({
          field: context.field,
          left: context.left,
          right: context.right,
          base: context.base,
        });
        return { value: `${context.left}+${context.rightAsLeft}` };
      },
    });
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'L' });
    right.patch('a', { name: 'R' });
    await run();
    expect(seen).toEqual([{ field: 'title', left: 'L', right: 'R', base: 'A' }]);
    expect([left.get('a')!.fields.title, right.get('a')!.fields.name]).toEqual(['L+R', 'L+R']);
  });

  it('converts values per direction, and a lossy converter never looks like an edit', async () => {
    const { left, right, run } = make({
      fields: {
        title: 'name',
        // Left keeps a date-time, right only a date: the time is lost going right.
        due: {
          field: 'dueDate',
          toRight: (value) => (typeof value === 'string' ? value.slice(0, 10) : value),
          toLeft: (value) => (typeof value === 'string' ? `${value}T00:00:00.000Z` : value),
        },
      },
    });
    left.put('a', { title: 'A', due: '2024-05-01T15:30:00.000Z' });
    await run();
    expect(right.get('a')!.fields).toEqual({ name: 'A', dueDate: '2024-05-01' });
    const writes = left.writes.length + right.writes.length;
    await run();
    await run();
    expect(left.get('a')!.fields.due).toBe('2024-05-01T15:30:00.000Z');
    expect(left.writes.length + right.writes.length).toBe(writes);
    right.patch('a', { dueDate: '2024-06-02' });
    await run();
    expect(left.get('a')!.fields.due).toBe('2024-06-02T00:00:00.000Z');
  });
});

describe('two-way manual conflicts', () => {
  it('keeps both values, leaves the pair untouched until decided, then applies the decision', async () => {
    const { left, right, run, store } = make({ conflict: 'manual' });
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'L' });
    right.patch('a', { name: 'R', completed: true });
    const result = await run();
    expect(result.report).toMatchObject({ conflicts: 1, conflictsOpen: 1, updatedLeft: 0 });
    // Not even the clean field moves: the pair waits for a person.
    expect(left.get('a')!.fields).toEqual({ title: 'L', done: false });
    expect(right.get('a')!.fields).toEqual({ name: 'R', completed: true });
    const [conflict] = await listConflicts(store, { task: 'tasks' });
    expect(conflict).toMatchObject({
      field: 'title',
      leftValue: 'L',
      rightValue: 'R',
      baseValue: 'A',
      state: 'open',
      leftKey: 'a',
      rightKey: 'a',
    });
    expect(conflict!.detectedAt).toBeInstanceOf(Date);
    await run();
    expect(left.get('a')!.fields.title).toBe('L');
    expect(right.get('a')!.fields.name).toBe('R');

    await resolveConflict(store, conflict!.id, { take: 'right' });
    await run();
    expect(left.get('a')!.fields).toEqual({ title: 'R', done: true });
    expect(right.get('a')!.fields).toEqual({ name: 'R', completed: true });
    expect(await listConflicts(store, { task: 'tasks' })).toEqual([]);
    const [done] = await listConflicts(store, { task: 'tasks', states: ['resolved'] });
    expect(done).toMatchObject({ state: 'resolved', decision: { take: 'right' } });
  });

  it('takes a value of a person’s own, and refuses to decide a conflict twice', async () => {
    const { left, right, run, store } = make({ conflict: 'manual' });
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'L' });
    right.patch('a', { name: 'R' });
    await run();
    const [conflict] = await listConflicts(store);
    await resolveConflict(store, conflict!.id, { take: 'value', value: 'Chosen' });
    await expect(resolveConflict(store, conflict!.id, { take: 'left' })).rejects.toThrow(/decided/);
    await expect(resolveConflict(store, 9999, { take: 'left' })).rejects.toThrow(/No conflict/);
    await run();
    expect(left.get('a')!.fields.title).toBe('Chosen');
    expect(right.get('a')!.fields.name).toBe('Chosen');
  });

  it('closes a conflict on its own when both sides come to agree', async () => {
    const { left, right, run, store } = make({ conflict: 'manual' });
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'L' });
    right.patch('a', { name: 'R' });
    await run();
    right.patch('a', { name: 'L' });
    await run();
    expect(await listConflicts(store)).toEqual([]);
    left.patch('a', { done: true });
    await run();
    expect(right.get('a')!.fields).toEqual({ name: 'L', completed: true });
  });

  it('keeps a frozen pair’s changes with incremental reads until the decision', async () => {
    const { left, right, run, store } = make({
      conflict: 'manual',
      leftMode: 'incremental',
      rightMode: 'incremental',
    });
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'L', done: true });
    right.patch('a', { name: 'R' });
    await run();
    await run(); // the cursors have moved past both edits
    const [conflict] = await listConflicts(store);
    await resolveConflict(store, conflict!.id, { take: 'left' });
    await run();
    expect(left.get('a')!.fields).toEqual({ title: 'L', done: true });
    expect(right.get('a')!.fields).toEqual({ name: 'L', completed: true });
  });
});

describe('two-way creates and deletes', () => {
  it('propagates and links objects created on either side after the initial sync', async () => {
    const { left, right, run } = make();
    left.put('a', { title: 'A', done: false });
    await run();
    left.put('b', { title: 'B', done: false });
    right.put('c', { name: 'C', completed: false });
    const result = await run();
    expect(result.report).toMatchObject({ createdLeft: 1, createdRight: 1 });
    right.patch('b', { completed: true });
    await run();
    expect(left.get('b')!.fields.done).toBe(true);
    expect(left.rows().size).toBe(3);
    expect(right.rows().size).toBe(3);
  });

  it('gives a created object a free key when the partner’s key is taken on that side', async () => {
    const { left, right, run } = make({ match: { sameKey: false } });
    left.put('x', { title: 'left x', done: false });
    right.put('x', { name: 'right x', completed: false });
    await run();
    expect(Object.keys(contents(left)).sort()).toEqual(['x', 'x~2']);
    expect(right.get('x~2')!.fields.name).toBe('left x');
    expect(left.get('x~2')!.fields.title).toBe('right x');
  });

  it('propagate: a deletion on one side deletes the partner', async () => {
    const { left, right, run } = make({ deletes: { left: 'propagate', right: 'propagate' } });
    left.put('a', { title: 'A', done: false });
    left.put('b', { title: 'B', done: false });
    await run();
    left.remove('a');
    right.remove('b');
    const result = await run();
    expect(result.report).toMatchObject({ deletedLeft: 1, deletedRight: 1 });
    expect(left.rows().size + right.rows().size).toBe(0);
    await run();
    expect(left.rows().size + right.rows().size).toBe(0);
  });

  it('propagate racing an edit: the edit wins and the deleted object comes back', async () => {
    const { left, right, run } = make({ deletes: { left: 'propagate', right: 'propagate' } });
    left.put('a', { title: 'A', done: false });
    await run();
    left.remove('a');
    right.patch('a', { name: 'edited meanwhile' });
    const result = await run();
    expect(result.report).toMatchObject({ restoredLeft: 1, deletedRight: 0 });
    expect(left.get('a')!.fields).toEqual({ title: 'edited meanwhile', done: false });
    expect(right.get('a')!.fields.name).toBe('edited meanwhile');
  });

  it('ignore: a deletion only unlinks; the partner stays and is not copied back', async () => {
    const { left, right, run } = make();
    left.put('a', { title: 'A', done: false });
    await run();
    right.remove('a');
    const result = await run();
    expect(result.report).toMatchObject({ unlinked: 1, deletedLeft: 0, createdRight: 0 });
    left.patch('a', { title: 'still here' });
    await run();
    expect(right.rows().size).toBe(0);
    expect(left.get('a')!.fields.title).toBe('still here');
  });

  it('restore: a deleted object is recreated from its partner', async () => {
    const { left, right, run } = make({ deletes: { right: 'restore' } });
    left.put('a', { title: 'A', done: true });
    await run();
    right.remove('a');
    const result = await run();
    expect(result.report.restoredRight).toBe(1);
    expect(right.get('a')!.fields).toEqual({ name: 'A', completed: true });
  });

  it('stops a run that would delete most pairs (an empty listing) and writes nothing', async () => {
    const { left, right, run } = make({ deletes: { right: 'propagate' } });
    for (let index = 0; index < 20; index++)
      left.put(`k${index}`, { title: `T${index}`, done: false });
    await run();
    for (let index = 0; index < 20; index++) right.remove(`k${index}`);
    const result = await run();
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/deleteGuard/);
    expect(left.rows().size).toBe(20);
  });
});

describe('two-way reads and failures', () => {
  it('gives the same result with incremental reads as with full reads', async () => {
    const outcomes = [];
    for (const mode of ['full', 'incremental'] as const) {
      const { left, right, run } = make({
        leftMode: mode,
        rightMode: mode,
        deletes: { left: 'propagate', right: 'propagate' },
      });
      left.put('a', { title: 'A', done: false });
      left.put('b', { title: 'B', done: false });
      right.put('c', { name: 'C', completed: false });
      await run();
      left.patch('a', { title: 'A2' });
      right.patch('b', { completed: true });
      right.remove('c');
      left.put('d', { title: 'D', done: true });
      await run();
      await run();
      outcomes.push([contents(left), contents(right)]);
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[0]![0]).toEqual({
      a: { title: 'A2', done: false },
      b: { title: 'B', done: true },
      d: { title: 'D', done: true },
    });
  });

  it('keeps an edit whose write failed and writes it on a later run, even past the cursor', async () => {
    let failing = true;
    const context = setup({ leftMode: 'incremental', rightMode: 'incremental' });
    stores.push(context.store);
    const { left, right, run } = context;
    left.put('a', { title: 'A', done: false });
    await run();
    const original = right.side.write.bind(right.side);
    right.side.write = async (writes, signal) =>
      failing
        ? writes.map(() => ({ status: 'retryable' as const, error: 'down' }))
        : original(writes, signal);
    left.patch('a', { title: 'A2' });
    const failed = await run();
    expect(failed.report.failed).toBe(1);
    failing = false;
    await run();
    expect(right.get('a')!.fields.name).toBe('A2');
  });

  it('does not take its own write that landed before a crash for an edit (write-ahead)', async () => {
    const { left, right, run, store } = make();
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'L1' });
    // Crash after the write reached the right side but before the checkpoint: the commit
    // after the writes fails (the one before them, the write-ahead, goes through).
    const tw = twoWayStore(store);
    const commit = tw.commit.bind(tw);
    let calls = 0;
    tw.commit = async (c) => {
      if (++calls === 2) throw new Error('killed');
      return commit(c);
    };
    expect((await run()).status).toBe('failed');
    tw.commit = commit;
    expect(right.get('a')!.fields.name).toBe('L1');
    // A later edit on the left, older than the landed write: not a conflict with keepsync's
    // own write, so it simply copies across.
    left.patch('a', { title: 'L2' }, new Date(0));
    await run();
    expect(right.get('a')!.fields.name).toBe('L2');
    expect(left.get('a')!.fields.title).toBe('L2');
  });

  it('stores pairs, base snapshots and cursors in the store', async () => {
    const { left, run, store } = make({ leftMode: 'incremental' });
    left.put('a', { title: 'A', done: false });
    await run();
    const tw = twoWayStore(store);
    const [pair] = await tw.loadPairs('tasks');
    expect(pair).toMatchObject({
      leftKey: 'a',
      rightKey: 'a',
      base: { left: { title: 'A', done: false }, right: { name: 'A', completed: false } },
      pending: null,
    });
    expect((await tw.getCursors('tasks')).left).toBe(1);
  });
});
