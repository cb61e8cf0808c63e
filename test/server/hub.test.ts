import { describe, expect, it } from 'vitest';
import { LiveHub, type LiveSubscriber } from '../../src/server/hub.js';
import type { DocumentStore, OplogEntry, PullPage } from '../../src/server/store/types.js';

const silent = { info() {}, warn() {}, error() {} };

function entry(seq: number): OplogEntry {
  return {
    seq,
    scope: 's',
    collection: 'tasks',
    docId: `d${seq}`,
    operation: 'upsert',
    version: `v${seq}`,
    data: '{}',
    clientId: 'c',
    actorId: 'u',
    changeId: null,
    createdMs: 0,
  };
}

/** A store holding `entries` of scope `s` that records every pull. */
function fakeStore(entries: OplogEntry[]) {
  const pulls: number[] = [];
  const store = {
    async lastSeq() {
      return 0;
    },
    async pull({ afterSeq }: { afterSeq: number }): Promise<PullPage> {
      pulls.push(afterSeq);
      const page = entries.filter((candidate) => candidate.seq > afterSeq);
      return { entries: page, lastSeq: page.at(-1)?.seq ?? afterSeq, hasMore: false };
    },
  } as unknown as DocumentStore;
  return { store, pulls };
}

function liveSubscriber(delivered: number[]): LiveSubscriber {
  return {
    scope: 's',
    collections: null,
    cursor: 0,
    live: true,
    deliver: (delivery) => delivered.push(delivery.seq),
  };
}

async function microtaskTurns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

describe('LiveHub', () => {
  it('fans a commit out only after the microtasks of the committing request have run, so the push response is written first', async () => {
    const entries = [entry(1), entry(2)];
    const { store, pulls } = fakeStore(entries);
    const hub = new LiveHub(store, silent, () => {});
    const delivered: number[] = [];
    await hub.add(liveSubscriber(delivered)).ready;

    hub.notify('s');
    // The request's own continuation (building and writing its response) runs in microtasks.
    await microtaskTurns(50);
    expect(pulls).toEqual([]);
    expect(delivered).toEqual([]);

    await new Promise((resolve) => setImmediate(resolve));
    await microtaskTurns(50);
    expect(delivered).toEqual([1, 2]);
    await hub.close();
  });

  it('delivers each entry once when several commits are notified in one turn', async () => {
    const { store, pulls } = fakeStore([entry(1), entry(2), entry(3)]);
    const hub = new LiveHub(store, silent, () => {});
    const delivered: number[] = [];
    await hub.add(liveSubscriber(delivered)).ready;

    for (let i = 0; i < 3; i++) hub.notify('s');
    await new Promise((resolve) => setImmediate(resolve));
    await microtaskTurns(50);
    expect(delivered).toEqual([1, 2, 3]);
    // The first read takes everything; later ones start after it.
    expect(pulls.filter((after) => after === 0)).toHaveLength(1);
    await hub.close();
  });

  it('does not fan out once closed', async () => {
    const { store, pulls } = fakeStore([entry(1)]);
    const hub = new LiveHub(store, silent, () => {});
    await hub.add(liveSubscriber([])).ready;
    hub.notify('s');
    await hub.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pulls).toEqual([]);
  });
});
