import type { RunRow, Store } from '../store/index.js';

/** Runs read from the store per query while following the runs table. */
const PAGE = 500;

export interface RunFeedOptions {
  readonly pipeline?: string | undefined;
  readonly unit?: string | undefined;
  /** Follow runs after this id. */
  readonly afterId: number;
  /** Runs at or before `afterId` still running: their finish is news too. */
  readonly unfinished?: Iterable<number> | undefined;
}

export interface RunFeedNews {
  /** Runs seen for the first time, oldest first. */
  readonly started: readonly RunRow[];
  /** Runs that finished since the last poll (some may also be in `started`). */
  readonly finished: readonly RunRow[];
}

/** Follows the runs table (every engine's runs on the store): what started and what finished. */
export interface RunFeed {
  poll(): Promise<RunFeedNews>;
}

export function followRuns(store: Store, options: RunFeedOptions): RunFeed {
  let watermark = options.afterId;
  const unfinished = new Set(options.unfinished ?? []);
  const filter = { pipeline: options.pipeline, unit: options.unit };
  return {
    async poll() {
      const started: RunRow[] = [];
      const finished: RunRow[] = [];
      for (const id of unfinished) {
        const run = await store.getRun(id);
        if (run?.finishedAt) finished.push(run);
        if (!run || run.finishedAt) unfinished.delete(id);
      }
      for (;;) {
        const page = await store.listRuns({ ...filter, afterId: watermark, limit: PAGE });
        for (const run of page) {
          started.push(run);
          if (run.finishedAt) finished.push(run);
          else unfinished.add(run.id);
          watermark = run.id;
        }
        if (page.length < PAGE) break;
      }
      return { started, finished };
    },
  };
}
