import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import type { Store } from '../../src/store/index.js';
import { definePipeline, runPipeline, type Source } from '../../src/sync/index.js';
import { makeRecords, memoryStore } from './helpers.js';

let store: Store;
afterEach(async () => {
  await store?.close();
});

interface ShiftingListing {
  /** The records as they are now; tests delete from it. */
  data: SyncRecord[];
  /** Called before each page is served, with its 1-based number. */
  beforePage: (page: number) => void;
  lookups: string[][];
}

/**
 * A page-numbered listing served from the live data, as page/per_page APIs do: deleting a
 * record between two page requests moves the next record onto the page already served.
 */
function shiftingSource(listing: ShiftingListing, options: { confirms: boolean }): Source {
  const pageSize = 10;
  const source: Source = {
    name: 'shifting',
    mode: 'full',
    units: () => [{ id: 'u' }],
    async *read(_unit, { cursor }) {
      for (let page = typeof cursor === 'number' ? cursor : 1; ; page++) {
        listing.beforePage(page);
        const records = listing.data.slice((page - 1) * pageSize, page * pageSize);
        const hasNext = listing.data.length > page * pageSize;
        yield { records, cursor: hasNext ? page + 1 : null };
        if (!hasNext) return;
      }
    },
  };
  if (!options.confirms) return source;
  return {
    ...source,
    async confirmMissing(_unit, keys) {
      listing.lookups.push([...keys]);
      const found = listing.data.filter((record) => keys.includes(record.key));
      return { gone: keys.filter((key) => !found.some((record) => record.key === key)), found };
    },
  };
}

function setup(confirms: boolean) {
  store = memoryStore();
  const listing: ShiftingListing = { data: makeRecords(30), beforePage: () => {}, lookups: [] };
  const destination = memory.destination();
  const pipeline = definePipeline({
    name: 'p',
    source: shiftingSource(listing, { confirms }),
    destination,
    deletes: 'delete',
    retryMinDelayMs: 1,
  });
  return { listing, destination, run: () => runPipeline({ store, pipeline, unit: 'u' }) };
}

/** Deletes r5 (already served on page 1) when page 2 is asked for: r10 is never listed. */
function deleteBetweenPages(listing: ShiftingListing, key = 'r5'): void {
  let done = false;
  listing.beforePage = (page) => {
    if (page !== 2 || done) return;
    listing.data = listing.data.filter((record) => record.key !== key);
    done = true;
  };
}

describe('deletes of keys a complete pass did not list', () => {
  it('asks the source before deleting: a record a shifting listing skipped survives', async () => {
    const { listing, destination, run } = setup(true);
    expect((await run()).stats.created).toBe(30);
    deleteBetweenPages(listing);
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(listing.lookups).toEqual([['r10']]);
    expect(destination.byKey().has('r10')).toBe(true);
    expect(result.stats.deleted).toBe(0);
    // r5 was listed before it went; the next pass misses it and the source confirms it is gone.
    const next = await run();
    expect(next.stats.deleted).toBe(1);
    expect(destination.byKey().has('r5')).toBe(false);
    expect(destination.byKey().size).toBe(29);
  });

  it('writes a skipped record that changed, as if the listing had served it', async () => {
    const { listing, destination, run } = setup(true);
    await run();
    listing.data = listing.data.map((record) =>
      record.key === 'r10' ? { ...record, fields: { ...record.fields, title: 'renamed' } } : record,
    );
    deleteBetweenPages(listing);
    const result = await run();
    expect(result.stats.updated).toBe(1);
    expect(destination.byKey().get('r10')?.fields.title).toBe('renamed');
    // The pass counted r10 as seen: the next pass (nothing shifts) writes nothing for it.
    const next = await run();
    expect(next.stats.updated).toBe(0);
    expect(next.stats.deleted).toBe(1);
  });

  it('keeps a key the source neither found nor confirmed gone', async () => {
    const { listing, destination, run } = setup(true);
    await run();
    listing.data = listing.data.filter((record) => record.key !== 'r29');
    const source = shiftingSource(listing, { confirms: true });
    const pipeline = definePipeline({
      name: 'p',
      source: { ...source, confirmMissing: async () => ({ gone: [], found: [] }) },
      destination,
      deletes: 'delete',
    });
    const result = await runPipeline({ store, pipeline, unit: 'u' });
    expect(result.stats.deleted).toBe(0);
    expect(destination.byKey().has('r29')).toBe(true);
  });

  it('reads the unit a second time when the source cannot confirm, deleting only what both listings missed', async () => {
    const { listing, destination, run } = setup(false);
    await run();
    deleteBetweenPages(listing);
    let pages = 0;
    const counting = listing.beforePage;
    listing.beforePage = (page) => {
      pages++;
      counting(page);
    };
    const result = await run();
    expect(pages).toBe(6);
    expect(result.stats.deleted).toBe(0);
    expect(destination.byKey().has('r10')).toBe(true);
    const next = await run();
    expect(next.stats.deleted).toBe(1);
    expect(destination.byKey().has('r5')).toBe(false);
    expect(destination.byKey().size).toBe(29);
  });

  it('confirms through the memory source, which looks keys up in its current records', async () => {
    store = memoryStore();
    let data = makeRecords(20);
    let served = 0;
    const inner = memory.source({ units: { u: () => data }, pageSize: 10 });
    const destination = memory.destination();
    const pipeline = definePipeline({
      name: 'p',
      // Hides r15 from the listing once, as a shift would.
      source: {
        ...inner,
        async *read(unit, options) {
          for await (const page of inner.read(unit, options)) {
            served++;
            yield served === 4
              ? { ...page, records: page.records.filter((r) => r.key !== 'r15') }
              : page;
          }
        },
      },
      destination,
      deletes: 'delete',
    });
    await runPipeline({ store, pipeline, unit: 'u' });
    data = data.filter((record) => record.key !== 'r3');
    const result = await runPipeline({ store, pipeline, unit: 'u' });
    expect(result.stats.deleted).toBe(1);
    expect(destination.byKey().has('r3')).toBe(false);
    expect(destination.byKey().has('r15')).toBe(true);
  });
});
