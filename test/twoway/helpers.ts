import * as memory from '../../src/connectors/memory/index.js';
import type { SourceMode } from '../../src/sync/index.js';
import { defineTwoWay, runTwoWay, type TwoWayOptions } from '../../src/twoway/index.js';
import { memoryStore } from '../sync/helpers.js';

export interface SetupOptions extends Partial<Omit<TwoWayOptions, 'left' | 'right'>> {
  leftMode?: SourceMode;
  rightMode?: SourceMode;
}

/** Two memory tables (left fields title/done, right fields name/completed) and a task. */
export function setup(options: SetupOptions = {}) {
  let clock = Date.UTC(2024, 0, 1);
  const tick = () => {
    clock += 1000;
    return new Date(clock);
  };
  const left = memory.table({ name: 'left', mode: options.leftMode ?? 'full', now: tick });
  const right = memory.table({ name: 'right', mode: options.rightMode ?? 'full', now: tick });
  const store = memoryStore();
  const { leftMode: _l, rightMode: _r, ...rest } = options;
  const task = defineTwoWay({
    name: 'tasks',
    fields: { title: 'name', done: 'completed' },
    ...rest,
    left: left.side,
    right: right.side,
  });
  return {
    left,
    right,
    store,
    task,
    /** A time later than anything written so far. */
    later: () => tick(),
    run: () => runTwoWay({ store, task }),
  };
}

/** Rows of a table as { key: fields }, for whole-state assertions. */
export function contents(table: memory.MemoryTable): Record<string, unknown> {
  return Object.fromEntries([...table.rows()].map(([key, row]) => [key, row.fields]));
}
