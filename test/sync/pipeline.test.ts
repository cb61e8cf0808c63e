import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import type { Store } from '../../src/store/index.js';
import {
  definePipeline,
  mergeSources,
  retryDeadLetters,
  runPipeline,
} from '../../src/sync/index.js';
import { makeRecords, memoryStore, recordingLogger } from './helpers.js';

let store: Store;
afterEach(async () => {
  await store?.close();
});

function setup(
  records: () => SyncRecord[],
  options: Partial<Parameters<typeof definePipeline>[0]> = {},
) {
  store = memoryStore();
  const destination = memory.destination();
  const pipeline = definePipeline({
    name: 'p',
    source: memory.source({ units: { u: records }, pageSize: 10 }),
    destination,
    retryMinDelayMs: 1,
    ...options,
  });
  return {
    destination,
    pipeline,
    run: (extra = {}) => runPipeline({ store, pipeline, unit: 'u', ...extra }),
  };
}

describe('one-way pipelines', () => {
  it('creates every record once and makes zero writes on an unchanged re-run', async () => {
    const { destination, run } = setup(() => makeRecords(35));
    const first = await run();
    expect(first.status).toBe('succeeded');
    expect(first.stats).toMatchObject({ read: 35, created: 35, updated: 0, pages: 4 });
    const writesAfterFirst = destination.writes.length;
    const second = await run();
    expect(second.stats).toMatchObject({ read: 35, created: 0, updated: 0, unchanged: 35 });
    expect(destination.writes.length).toBe(writesAfterFirst);
    expect(destination.byKey().size).toBe(35);
  });

  it('updates only the records whose content changed', async () => {
    let data = makeRecords(20);
    const { destination, run } = setup(() => data);
    await run();
    data = data.map((record, index) =>
      index % 5 === 0 ? { ...record, fields: { ...record.fields, title: 'changed' } } : record,
    );
    const result = await run();
    expect(result.stats).toMatchObject({ created: 0, updated: 4, unchanged: 16 });
    expect(destination.byKey().get('r5')?.fields.title).toBe('changed');
  });

  it('treats the same content in another key order or as a Date vs the same instant as unchanged', async () => {
    const when = '2024-05-01T10:00:00.000Z';
    let data: SyncRecord[] = [{ key: 'a', fields: { x: 1, at: new Date(when) } }];
    const { run } = setup(() => data);
    await run();
    data = [{ key: 'a', fields: { at: when, x: 1 } }];
    expect((await run()).stats.unchanged).toBe(1);
  });

  it('never overwrites create-only fields and never writes destination-owned fields', async () => {
    let data: SyncRecord[] = [
      { key: 'a', fields: { title: 'one', seed: 'first', notes: 'from source' } },
    ];
    const { destination, run } = setup(() => data, {
      route: { createOnly: ['seed'], destinationOwned: ['notes'] },
    });
    await run();
    const object = destination.byKey().get('a')!;
    expect(object.fields).toEqual({ title: 'one', seed: 'first' });
    object.fields = { ...object.fields, seed: 'edited by a person', notes: 'hand written' };
    data = [{ key: 'a', fields: { title: 'two', seed: 'second', notes: 'ignored' } }];
    await run();
    expect(destination.byKey().get('a')!.fields).toEqual({
      title: 'two',
      seed: 'edited by a person',
      notes: 'hand written',
    });
  });

  it('skips an update when only create-only fields changed', async () => {
    let data: SyncRecord[] = [{ key: 'a', fields: { title: 'one', seed: 'first' } }];
    const { destination, run } = setup(() => data, { route: { createOnly: ['seed'] } });
    await run();
    data = [{ key: 'a', fields: { title: 'one', seed: 'second' } }];
    const result = await run();
    expect(result.stats.unchanged).toBe(1);
    expect(destination.writes).toHaveLength(1);
  });

  it('renames, filters and transforms records, and a transform may drop one', async () => {
    const data: SyncRecord[] = [
      { key: 'a', fields: { name: 'Alpha', stars: 5, internal: true } },
      { key: 'b', fields: { name: 'Beta', stars: 0, internal: false } },
      { key: 'c', fields: { name: 'Drop me', stars: 9, internal: false } },
    ];
    const { destination, run } = setup(() => data, {
      route: {
        filter: (record) => record.fields.stars !== 0,
        fields: { name: 'Title', stars: 'Stars' },
        transform: (record) => (record.fields.Title === 'Drop me' ? null : record),
      },
    });
    await run();
    expect([...destination.byKey().values()].map((object) => object.fields)).toEqual([
      { Title: 'Alpha', Stars: 5 },
    ]);
  });

  it('dedupes one key within a page, the last occurrence winning', async () => {
    const data: SyncRecord[] = [
      { key: 'a', fields: { v: 1 } },
      { key: 'a', fields: { v: 2 } },
    ];
    const { destination, run } = setup(() => data);
    const result = await run();
    expect(result.stats.created).toBe(1);
    expect(destination.byKey().get('a')!.fields.v).toBe(2);
  });

  it('refuses records with an empty key with a warning that names them, writing the rest', async () => {
    const { logger, warnings } = recordingLogger();
    const data: SyncRecord[] = [
      { key: 'ok', fields: {} },
      { key: '  ', fields: {} },
    ];
    const { destination, run } = setup(() => data);
    const result = await run({ logger });
    expect(result.stats).toMatchObject({ created: 1, refused: 1 });
    expect(warnings.join('\n')).toMatch(/record #2 of this page has an empty key/);
    expect(destination.byKey().size).toBe(1);
  });

  it('dead-letters a record with a non-serialisable value, naming the record and the field', async () => {
    const data = [
      { key: 'good', fields: { x: 1 } },
      { key: 'bad', fields: { nested: { fn: () => 1 } } } as unknown as SyncRecord,
    ];
    const { destination, run } = setup(() => data);
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(result.stats).toMatchObject({ created: 1, failed: 1 });
    const [letter] = await store.listDeadLetters({ pipeline: 'p' });
    expect(letter?.key).toBe('bad');
    expect(letter?.error).toMatch(/record bad: field `nested.fn` is a function/);
    expect(destination.byKey().has('bad')).toBe(false);
  });
});

describe('deletes', () => {
  it('ignores records missing from a full pass by default', async () => {
    let data = makeRecords(20);
    const { destination, run } = setup(() => data);
    await run();
    data = data.slice(0, 19);
    const result = await run();
    expect(result.stats.deleted).toBe(0);
    expect(destination.byKey().size).toBe(20);
  });

  it('archives, or deletes, records missing from a complete full pass', async () => {
    for (const policy of ['archive', 'delete'] as const) {
      let data = makeRecords(20);
      const { destination, run } = setup(() => data, { deletes: policy });
      await run();
      data = data.filter((record) => record.key !== 'r3' && record.key !== 'r17');
      const result = await run();
      expect(result.stats.deleted).toBe(2);
      if (policy === 'archive') {
        expect(destination.byKey().get('r3')?.archived).toBe(true);
        expect(destination.byKey().size).toBe(20);
      } else {
        expect(destination.byKey().has('r3')).toBe(false);
        expect(destination.byKey().size).toBe(18);
      }
      expect((await run()).stats.deleted).toBe(0);
      await store.close();
    }
  });

  it('brings an archived record back when it reappears at the source', async () => {
    let data = makeRecords(20);
    const { destination, run } = setup(() => data, { deletes: 'archive' });
    await run();
    data = data.slice(1);
    await run();
    expect(destination.byKey().get('r0')?.archived).toBe(true);
    data = makeRecords(20);
    const result = await run();
    expect(result.stats.updated).toBe(1);
    expect(destination.byKey().get('r0')?.archived).toBe(false);
  });

  it('never deletes after a pass that failed part-way', async () => {
    let data = makeRecords(30);
    let failAfter = Number.POSITIVE_INFINITY;
    store = memoryStore();
    const destination = memory.destination();
    const inner = memory.source({ units: { u: () => data }, pageSize: 10 });
    const pipeline = definePipeline({
      name: 'p',
      deletes: 'delete',
      destination,
      source: {
        ...inner,
        async *read(unit, options) {
          let pages = 0;
          for await (const page of inner.read(unit, options)) {
            if (pages++ >= failAfter) throw new Error('source went away');
            yield page;
          }
        },
      },
    });
    await runPipeline({ store, pipeline, unit: 'u' });
    data = data.slice(0, 25);
    failAfter = 1;
    const failed = await runPipeline({ store, pipeline, unit: 'u' });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/source went away/);
    expect(destination.byKey().size).toBe(30);
    failAfter = Number.POSITIVE_INFINITY;
    const resumed = await runPipeline({ store, pipeline, unit: 'u' });
    expect(resumed.stats.deleted).toBe(5);
    expect(resumed.stats.read).toBe(15);
  });

  it('applies tombstones a source emits, per the delete policy', async () => {
    let data = makeRecords(5);
    const { destination, run } = setup(() => data, { deletes: 'delete' });
    await run();
    data = [...data.slice(0, 4), { key: 'r4', fields: {}, deleted: true }];
    const result = await run();
    expect(result.stats.deleted).toBe(1);
    expect(destination.byKey().has('r4')).toBe(false);
  });

  it('stops a run that would delete more than the guard allows, deleting nothing', async () => {
    let data = makeRecords(40);
    const { destination, run } = setup(() => data, {
      deletes: 'delete',
      deleteGuard: { maxShare: 0.25 },
    });
    await run();
    data = data.slice(0, 10);
    const result = await run();
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(
      /Delete guard: .* more than 25% of its 40 objects; nothing was removed/,
    );
    expect(destination.byKey().size).toBe(40);
  });
});

describe('failures', () => {
  it('dead-letters a rejected record while the rest of the page goes on, and retries it later', async () => {
    let reject = true;
    store = memoryStore();
    const destination = memory.destination({
      fault: (op) =>
        reject && op.key === 'r2'
          ? { status: 'rejected', error: 'Stars is not a number' }
          : undefined,
    });
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(5) } }),
      destination,
    });
    const result = await runPipeline({ store, pipeline, unit: 'u' });
    expect(result.stats).toMatchObject({ created: 4, failed: 1 });
    const letters = await store.listDeadLetters({ pipeline: 'p' });
    expect(letters).toMatchObject([
      { key: 'r2', attempts: 1, error: 'create failed: Stars is not a number' },
    ]);
    await runPipeline({ store, pipeline, unit: 'u' });
    expect((await store.listDeadLetters({ pipeline: 'p' }))[0]?.attempts).toBe(2);
    reject = false;
    const [retried] = await retryDeadLetters({ store, pipeline });
    expect(retried?.stats.created).toBe(1);
    expect(await store.listDeadLetters({ pipeline: 'p' })).toEqual([]);
    expect(destination.byKey().size).toBe(5);
  });

  it('retries retryable failures with backoff and counts the retries', async () => {
    let failures = 2;
    store = memoryStore();
    const destination = memory.destination({
      fault: (op) =>
        op.key === 'r0' && failures-- > 0
          ? { status: 'retryable', error: '503', retryAfterMs: 5 }
          : undefined,
    });
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: makeRecords(3) } }),
      destination,
      retryMinDelayMs: 1,
    });
    const result = await runPipeline({ store, pipeline, unit: 'u' });
    expect(result.stats).toMatchObject({ created: 3, failed: 0, retries: 2 });
    expect(result.stats.rateLimitWaitMs).toBeGreaterThanOrEqual(5);
  });

  it('pauses with "re-authorize" on an auth error, keeping what was written and the cursor', async () => {
    let revoked = false;
    store = memoryStore();
    const destination = memory.destination({
      fault: (op) =>
        revoked && op.key === 'r15' ? { status: 'auth', error: '401 invalid_token' } : undefined,
    });
    const data = makeRecords(20);
    const pipeline = definePipeline({
      name: 'p',
      source: memory.source({ units: { u: () => data }, pageSize: 10 }),
      destination,
    });
    revoked = true;
    const result = await runPipeline({ store, pipeline, unit: 'u' });
    expect(result.status).toBe('paused');
    expect(result.pausedReason).toMatch(/^re-authorize, then resume: 401 invalid_token/);
    expect((await store.getCursor('p', 'u'))?.cursor).toBe(10);
    const written = destination.byKey().size;
    expect(written).toBeGreaterThanOrEqual(10);
    revoked = false;
    const resumed = await runPipeline({ store, pipeline, unit: 'u' });
    expect(resumed.status).toBe('succeeded');
    expect(destination.byKey().size).toBe(20);
    expect(resumed.stats.created).toBe(20 - written);
  });

  it('finds an object written before a crash by its key and updates it instead of duplicating', async () => {
    const { destination, pipeline } = setup(() => makeRecords(3));
    const session = await destination.open({} as never);
    await session.write([
      { kind: 'create', key: 'r1', record: { key: 'r1', fields: { stale: true } } },
    ]);
    const result = await runPipeline({ store, pipeline, unit: 'u' });
    expect(result.stats).toMatchObject({ created: 2, updated: 1 });
    expect(destination.byKey().get('r1')?.fields.title).toBe('Record 1');
  });
});

describe('targeted runs and merged sources', () => {
  it('writes only the named keys and leaves the cursor alone', async () => {
    let data = makeRecords(10);
    const { destination, run } = setup(() => data);
    await run();
    const cursorBefore = await store.getCursor('p', 'u');
    data = data.map((record) => ({ ...record, fields: { ...record.fields, title: 'new' } }));
    const result = await run({ keys: ['r3', 'r4'] });
    expect(result.stats.updated).toBe(2);
    expect(destination.byKey().get('r3')?.fields.title).toBe('new');
    expect(destination.byKey().get('r5')?.fields.title).toBe('Record 5');
    expect(await store.getCursor('p', 'u')).toEqual(cursorBefore);
  });

  it('merges several sources into one destination, the newest updatedAt winning', async () => {
    store = memoryStore();
    const destination = memory.destination();
    const older = new Date('2024-01-01');
    const newer = new Date('2024-06-01');
    const pipeline = definePipeline({
      name: 'merged',
      destination,
      source: mergeSources({
        name: 'events',
        sources: [
          memory.source({
            name: 'luma',
            units: { all: [{ key: 'e1', fields: { title: 'new title' }, updatedAt: newer }] },
          }),
          memory.source({
            name: 'calendar',
            units: { all: [{ key: 'e1', fields: { title: 'old title' }, updatedAt: older }] },
          }),
        ],
      }),
    });
    await runPipeline({ store, pipeline, unit: 'all' });
    expect(destination.byKey().get('e1')?.fields.title).toBe('new title');
    const again = await runPipeline({ store, pipeline, unit: 'all' });
    expect(again.stats.created + again.stats.updated).toBe(0);
  });
});
