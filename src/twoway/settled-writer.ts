import { type RunStats, type Store, storeHandle } from '../store/index.js';
import { openSqliteSettledWriter } from './sqlite-settled-writer.js';
import type { TwoWayStore } from './store.js';
import type { PairState } from './types.js';

/** One commit of settled pairs (matched, nothing to write), with the run's stats so far. */
export interface SettledCommit {
  readonly task: string;
  readonly pairs: readonly PairState[];
  readonly run: { readonly id: number; readonly stats: RunStats };
}

/** Stores commits of settled pairs one after another, in the order they are queued. */
export interface SettledWriter {
  /**
   * Queues one commit (one transaction); `onCommitted` runs once it is stored. Failures come
   * out of `flush`; after one, nothing more is stored.
   */
  write(commit: SettledCommit, onCommitted: () => void): void;
  /** Waits for every queued commit; rejects with the first failure. */
  flush(): Promise<void>;
  /** Waits for the queued commits, stored or failed, and frees the writer. */
  close(): Promise<void>;
}

/**
 * A writer chosen at its first commit: the background one (where the store has one) when
 * that commit is queued while the caller is still busy planning, else inline.
 */
export function lazySettledWriter(
  store: Store,
  tw: TwoWayStore,
): SettledWriter & { whilePlanning: boolean } {
  let chosen: SettledWriter | null = null;
  return {
    whilePlanning: false,
    write(commit, onCommitted) {
      chosen ??=
        (this.whilePlanning ? backgroundSettledWriter(store) : null) ?? inlineSettledWriter(tw);
      chosen.write(commit, onCommitted);
    },
    flush: async () => chosen?.flush(),
    close: async () => chosen?.close(),
  };
}

/** Commits through the task store, each one when the event loop gets to it. */
export function inlineSettledWriter(tw: TwoWayStore): SettledWriter {
  let last: Promise<void> = Promise.resolve();
  return {
    write(commit, onCommitted) {
      last = last
        .then(() =>
          tw.commit({ ...commit, removedPairs: [], conflicts: [], resolvedConflicts: [] }),
        )
        .then(onCommitted);
      last.catch(() => {});
    },
    flush: () => last,
    close: () => last.catch(() => {}),
  };
}

/**
 * A writer that stores commits while the caller's thread keeps working (planning is
 * synchronous, so inline commits would only start once it ends), or null where there is
 * none: only a SQLite file can take a second connection, and a leased run's commits prove
 * the lease through the store it was given.
 */
export function backgroundSettledWriter(store: Store): SettledWriter | null {
  const handle = storeHandle(store);
  if (handle.dialect !== 'sqlite' || handle.lease || handle.db.memory) return null;
  return openSqliteSettledWriter({ path: handle.db.name, busyWait: handle.busyWait });
}
