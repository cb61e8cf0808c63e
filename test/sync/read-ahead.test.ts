import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncRecord } from '../../src/model/index.js';
import type { Store } from '../../src/store/index.js';
import {
  type Destination,
  definePipeline,
  type PipelineOptions,
  type RunOptions,
  runPipeline,
  type Source,
  type WriteOp,
  type WriteResult,
} from '../../src/sync/index.js';
import { makeRecords, memoryStore } from './helpers.js';

const PAGES = 5;
const PAGE_SIZE = 4;

let store: Store;
afterEach(async () => {
  await store?.close();
});

/** A source of five pages that logs each read and whether it was closed. */
function loggingSource(events: string[]) {
  const records = makeRecords(PAGES * PAGE_SIZE);
  const state = { closed: false };
  const source: Source = {
    name: 'logging',
    mode: 'incremental',
    units: () => [{ id: 'u' }],
    async *read(_unit, { cursor }) {
      try {
        for (let page = typeof cursor === 'number' ? cursor + 1 : 1; page <= PAGES; page++) {
          events.push(`read ${page}`);
          yield {
            records: records.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
            cursor: page,
          };
        }
      } finally {
        state.closed = true;
      }
    },
  };
  return { source, state };
}

/**
 * A destination whose writes take a timer's turn (long enough for anything the engine starts
 * meanwhile), logging when each page's write starts and ends; `failPage` answers unavailable.
 */
function loggingDestination(
  events: string[],
  behaviour: { failPage?: number; onWrite?: () => void },
) {
  const destination: Destination = {
    name: 'logging',
    async open() {
      return {
        async lookup() {
          return new Map();
        },
        async write(ops: readonly WriteOp[]): Promise<WriteResult[]> {
          const page = Math.floor(Number(ops[0]!.key.slice(1)) / PAGE_SIZE) + 1;
          events.push(`write ${page}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          events.push(`written ${page}`);
          if (page === behaviour.failPage) {
            return ops.map(() => ({ status: 'unavailable', error: 'down for maintenance' }));
          }
          return ops.map((op) => ({ status: 'ok', destId: op.key }));
        },
        async close() {},
      };
    },
  };
  return destination;
}

/**
 * Unit `u` of pipeline `p` over the logging source and destination, on a fresh store: `run`
 * runs it (with the given run options), `cursor` reads its committed cursor.
 */
function loggingRun(
  behaviour: { failPage?: number | undefined } = {},
  options: Partial<PipelineOptions> = {},
) {
  store = memoryStore();
  const events: string[] = [];
  const { source, state } = loggingSource(events);
  const pipeline = definePipeline({
    name: 'p',
    source,
    destination: loggingDestination(events, behaviour),
    ...options,
  });
  const runStore = store;
  return {
    events,
    state,
    run: (runOptions: Partial<RunOptions> = {}) =>
      runPipeline({ store: runStore, pipeline, unit: 'u', ...runOptions }),
    cursor: async () => (await runStore.getCursor('p', 'u'))?.cursor,
  };
}

describe('read-ahead: the next page is read while this one is written', () => {
  it('reads page n+1 during the write of page n, never two ahead, and commits in order', async () => {
    const { events, run, cursor } = loggingRun();
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(result.stats).toMatchObject({ read: 20, created: 20, pages: 5 });
    expect(events).toEqual([
      'read 1',
      'write 1',
      'read 2',
      'written 1',
      'write 2',
      'read 3',
      'written 2',
      'write 3',
      'read 4',
      'written 3',
      'write 4',
      'read 5',
      'written 4',
      'write 5',
      'written 5',
    ]);
    expect(await cursor()).toBe(5);
  });

  it('drops the page read ahead when the write before it fails: the cursor stays, the next run writes it', async () => {
    const behaviour: { failPage?: number | undefined } = { failPage: 2 };
    const { events, state, run, cursor } = loggingRun(behaviour, {
      writeRetries: 1,
      retryMinDelayMs: 1,
    });
    const failed = await run();
    expect(failed.status).toBe('failed');
    // Page 3 was read ahead, but neither written nor counted.
    expect(events).toContain('read 3');
    expect(events).not.toContain('write 3');
    expect(failed.stats).toMatchObject({ read: 8, created: 4 });
    expect(state.closed).toBe(true);
    expect(await cursor()).toBe(1);

    behaviour.failPage = undefined;
    events.length = 0;
    const resumed = await run();
    expect(resumed.status).toBe('succeeded');
    expect(resumed.stats).toMatchObject({ read: 16, created: 16 });
    expect(events[0]).toBe('read 2');
    expect(await cursor()).toBe(5);
  });

  it('stops after the committed page when aborted, leaving the page read ahead unwritten', async () => {
    const { events, state, run, cursor } = loggingRun();
    const abort = new AbortController();
    const result = await run({
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    expect(result.status).toBe('aborted');
    expect(events).toEqual(['read 1', 'write 1', 'read 2', 'written 1']);
    expect(result.stats).toMatchObject({ read: 4, created: 4, pages: 1 });
    expect(state.closed).toBe(true);
    expect(await cursor()).toBe(1);
  });
});

describe('read-ahead: the write in flight is not held up by the next page', () => {
  it('hashes the page read ahead in slices, letting the write before it run its next steps meanwhile', async () => {
    store = memoryStore();
    const events: string[] = [];
    const second: SyncRecord[] = makeRecords(1000, 1, 'b');
    // Its content is read when the page is hashed: the last record of the page read ahead.
    const fields = { title: 'last' };
    Object.defineProperty(fields, 'probe', {
      enumerable: true,
      get() {
        if (!events.includes('hashing page 2')) events.push('hashing page 2');
        return 1;
      },
    });
    second[second.length - 1] = { key: 'b-last', fields };
    const source: Source = {
      name: 'two pages',
      mode: 'incremental',
      units: () => [{ id: 'u' }],
      async *read() {
        yield { records: makeRecords(10, 1, 'a'), cursor: 1 };
        yield { records: second, cursor: 2 };
      },
    };
    // A write of a few event-loop turns, as a COPY is: statement, the server's go-ahead, rows.
    const destination: Destination = {
      name: 'stepwise',
      async open() {
        return {
          async lookup() {
            return new Map();
          },
          async write(ops: readonly WriteOp[]): Promise<WriteResult[]> {
            const page = ops[0]!.key.startsWith('a') ? 1 : 2;
            events.push(`write ${page}`);
            await nextTurn();
            await nextTurn();
            events.push(`written ${page}`);
            return ops.map((op) => ({ status: 'ok', destId: op.key }));
          },
          async close() {},
        };
      },
    };
    const pipeline = definePipeline({ name: 'p', source, destination });
    const result = await runPipeline({ store, pipeline, unit: 'u' });
    expect(result.status).toBe('succeeded');
    expect(result.stats).toMatchObject({ read: 1010, created: 1010, pages: 2 });
    // On one synchronous turn, page 2 was hashed whole before page 1's write took its next step.
    expect(events).toEqual(['write 1', 'written 1', 'hashing page 2', 'write 2', 'written 2']);
  });
});

describe('readAhead: false (the Temporal engine: a crash re-reads at most one page)', () => {
  it('reads page n+1 only once page n is committed', async () => {
    const { events, run, cursor } = loggingRun();
    const result = await run({
      readAhead: false,
      // Called after each page's store commit.
      onProgress: ({ stats }) => events.push(`committed ${stats.pages}`),
    });
    expect(result.status).toBe('succeeded');
    expect(result.stats).toMatchObject({ read: 20, created: 20, pages: 5 });
    expect(events).toEqual(
      [1, 2, 3, 4, 5].flatMap((page) => [
        `read ${page}`,
        `write ${page}`,
        `written ${page}`,
        `committed ${page}`,
      ]),
    );
    expect(await cursor()).toBe(5);
  });

  it('reads no further page when aborted after a commit', async () => {
    const { events, state, run, cursor } = loggingRun();
    const abort = new AbortController();
    const result = await run({
      readAhead: false,
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    expect(result.status).toBe('aborted');
    expect(events).toEqual(['read 1', 'write 1', 'written 1']);
    expect(state.closed).toBe(true);
    expect(await cursor()).toBe(1);
  });
});
