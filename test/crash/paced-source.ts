import * as memory from '../../src/connectors/memory/index.js';
import type { SyncRecord } from '../../src/model/index.js';
import type { Source } from '../../src/sync/index.js';

/** `count` records `k0`, `k1`, … titled `Record <n>`, with `n` as a field. */
export function numberedRecords(count: number): SyncRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `k${index}`,
    fields: { title: `Record ${index}`, n: index },
  }));
}

/**
 * An incremental memory source of one unit, `all`, that waits `pauseMs` on each page, so a
 * worker process can be killed mid-run; a finished run leaves the cursor at the end.
 * `beforePage` is told of each page before it is handed over, so a page read twice shows
 * up twice.
 */
export function pacedSource(options: {
  readonly records: readonly SyncRecord[];
  readonly pageSize: number;
  readonly pauseMs: number;
  readonly beforePage?: (cursor: unknown) => void;
}): Source {
  const inner = memory.source({
    units: { all: options.records },
    pageSize: options.pageSize,
    mode: 'incremental',
  });
  return {
    ...inner,
    async *read(unit, readOptions) {
      for await (const page of inner.read(unit, readOptions)) {
        options.beforePage?.(page.cursor);
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
        yield page;
      }
    },
  };
}
