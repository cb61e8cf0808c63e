import { expect } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { type Pipeline, runPipeline } from '../../src/sync/index.js';
import type { FakeServer } from '../fakes/index.js';
import type { Outage } from './outages.js';

/**
 * The scenarios every SaaS destination is tested on, each with the records and the fake of
 * its own service. `pipeline` writes unit `all`; its name is the dead letters' pipeline.
 */

/**
 * The service goes down once the first page is committed: the run fails, keeping the cursor
 * and dead-lettering nothing, with no HTML in its error; back up, the next run writes the
 * rest, and every record is there once.
 */
export async function expectOutageFailsThenHeals(options: {
  readonly outage: Outage;
  readonly server: FakeServer;
  readonly store: Store;
  readonly pipeline: Pipeline;
  /** Records in the first page, and in the pages after it. */
  readonly firstPage: number;
  readonly rest: number;
  /** The record keys the destination holds now, one per object. */
  readonly heldKeys: () => readonly unknown[];
  readonly expectedKeys: readonly string[];
  /** What the failed run's error must name. */
  readonly error?: RegExp;
}): Promise<void> {
  const { outage, server, store, pipeline } = options;
  let started = false;
  const failed = await runPipeline({
    store,
    pipeline,
    unit: 'all',
    onProgress: async () => {
      if (!started) await outage.begin(server);
      started = true;
    },
  });
  expect(failed.status).toBe('failed');
  if (options.error) expect(failed.error).toMatch(options.error);
  // A proxy's HTML page is no message for a person: the error names the status instead.
  expect(failed.error).not.toMatch(/<\/?[a-z]+>/i);
  expect(failed.stats).toMatchObject({ created: options.firstPage, failed: 0 });
  expect(await store.listDeadLetters({})).toEqual([]);

  await outage.end(server);
  const healed = await runPipeline({ store, pipeline, unit: 'all' });
  expect(healed.status).toBe('succeeded');
  expect(healed.stats).toMatchObject({ read: options.rest, created: options.rest, failed: 0 });
  expect([...options.heldKeys()].sort()).toEqual([...options.expectedKeys].sort());
}

/**
 * After a first run, the object of `key` becomes one the token may not change (403) and the
 * records change: the run succeeds, unpaused, dead-lettering that record only and updating
 * the others.
 */
export async function expectForbiddenRecordDeadLettered(options: {
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly key: string;
  /** Makes the object with this destination id refuse the token. */
  readonly forbid: (destId: string) => void;
  /** Changes the records the pipeline reads. */
  readonly change: () => void;
  readonly updated: number;
  /** What the dead letter's error must name. */
  readonly error: RegExp;
}): Promise<void> {
  const { store, pipeline, key } = options;
  await runPipeline({ store, pipeline, unit: 'all' });
  const link = (await store.getLinks(pipeline.name, [key])).get(key)!;
  options.forbid(link.destId);
  options.change();
  const result = await runPipeline({ store, pipeline, unit: 'all' });
  expect(result.status).toBe('succeeded');
  expect(result.pausedReason).toBeNull();
  expect(result.stats.failed).toBe(1);
  expect(result.stats.updated).toBe(options.updated);
  const [letter] = await store.listDeadLetters({ pipeline: pipeline.name });
  expect(letter!.key).toBe(key);
  expect(letter!.error).toMatch(options.error);
}
