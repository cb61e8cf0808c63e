import type { Page } from 'playwright-core';

/** Where the test pages live; their /sync requests are routed to a real server by the test. */
export const ORIGIN = 'http://keepsync.test';

/**
 * A page running keepsync/client (bundled at /client.js) on IndexedDB, without the live
 * stream. It records conflicts and rejections in `window.syncEvents`.
 */
export function clientPageHtml(jwt: string, options: Record<string, unknown> = {}): string {
  return `<!doctype html><script type="module">
    import { createSyncClient, openIndexedDbStore } from '/client.js';
    window.syncEvents = [];
    const client = await createSyncClient({
      url: location.origin,
      collections: ['tasks'],
      store: await openIndexedDbStore({ name: 'keepsync-test' }),
      getToken: () => ${JSON.stringify(jwt)},
      live: false,
      pollIntervalMs: 200,
      backoff: { initialMs: 50, maxMs: 200 },
      onConflict: (context) => window.syncEvents.push({ type: 'conflict', id: context.id }),
      onReject: (context) => window.syncEvents.push({ type: 'reject', id: context.id }),
      ...${JSON.stringify(options)},
    });
    window.syncClient = client;
    await client.start();
  </script>`;
}

export interface PageWindow {
  syncClient: {
    put(collection: string, id: string, data: Record<string, unknown>): Promise<unknown>;
    query(
      collection: string,
    ): Array<{ id: string; data: Record<string, unknown>; pending: boolean }>;
    pendingCount(): number;
  };
  syncEvents: Array<{ type: string; id: string }>;
}

/** The page's visible task count, or -1 before its client exists. */
export function taskCount(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as PageWindow).syncClient?.query('tasks').length ?? -1,
  );
}
