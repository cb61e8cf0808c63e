import { describe, expect, it } from 'vitest';
import type { SyncRecord } from '../../src/model/index.js';
import { defineTwoWay, planTwoWay, type TwoWaySide } from '../../src/twoway/index.js';

const stub: TwoWaySide = {
  name: 'stub',
  mode: 'full',
  async *read() {},
  async write(writes) {
    return writes.map(() => ({ status: 'ok' as const }));
  },
};
const task = defineTwoWay({
  name: 'first-match',
  left: stub,
  right: stub,
  fields: {
    title: 'name',
    // Left counts in minutes, right in hours.
    minutes: {
      field: 'hours',
      toRight: (value) => (typeof value === 'number' ? value / 60 : value),
      toLeft: (value) => (typeof value === 'number' ? value * 60 : value),
    },
    note: 'comment',
  },
});
const at = new Date(Date.UTC(2024, 0, 1));
const read = (objects: Record<string, SyncRecord['fields']>) => ({
  records: new Map(
    Object.entries(objects).map(([key, fields]) => [key, { key, fields, updatedAt: at }]),
  ),
  complete: true,
  liveKeys: null,
});

function plan(
  left: Record<string, SyncRecord['fields']>,
  right: Record<string, SyncRecord['fields']>,
) {
  return planTwoWay({ task, pairs: [], left: read(left), right: read(right), conflicts: [] });
}

describe('two-way first match', () => {
  it('settles objects that agree under the field map, with each side as read for its base', () => {
    // `note` is absent on the left and null on the right: the same (no value).
    const result = plan(
      { a: { title: 'A', minutes: 90, other: 'not mapped' } },
      { a: { name: 'A', hours: 1.5, comment: null } },
    );
    expect(result.actions).toEqual([]);
    expect(result.settled).toHaveLength(1);
    const [pair] = result.settled;
    expect(pair).toMatchObject({
      leftKey: 'a',
      rightKey: 'a',
      base: {
        left: { title: 'A', minutes: 90, note: null },
        right: { name: 'A', hours: 1.5, comment: null },
      },
      leftSeen: null,
      rightSeen: null,
      pending: null,
      inflight: null,
    });
    expect(Object.keys(pair!.base.left)).toEqual(['title', 'minutes', 'note']);
    expect(result.report.matched).toBe(1);
  });

  it('merges objects that differ on one field instead of settling them', () => {
    const result = plan(
      { a: { title: 'A', minutes: 90, note: 'left only' } },
      { a: { name: 'A', hours: 1.5 } },
    );
    expect(result.settled).toEqual([]);
    expect(result.actions).toHaveLength(1);
    // A first match has no base: the two notes differ, and the default rule settles it.
    const [action] = result.actions;
    expect(action!.after?.base.left).toMatchObject({ title: 'A', minutes: 90 });
    expect(result.report.matched).toBe(1);
  });
});
