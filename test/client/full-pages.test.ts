import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/client/index.js';
import { upsert } from '../server/helpers.js';
import { eventually, startClient, startTestServer, type TestServer } from './helpers.js';

/** One `/sync/full` request as the client made it; its body reaches the client once released. */
interface HeldPage {
  readonly cursor: string | null;
  /** The `limit` asked for. */
  readonly limit: string | null;
  /** The response's `X-Sync-Cursor`: where the page after it starts. */
  readonly next: string | null;
  release(): void;
}

/** A fetch that answers `/sync/full` with the real response but holds each body until released. */
function holdingFullPages() {
  const pages: HeldPage[] = [];
  const fetchHeld: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const response = await fetch(input, init);
    if (url.pathname !== '/sync/full' || !response.ok || !response.body) return response;
    let release!: () => void;
    // Closing the client aborts its requests: a held body fails then, as a real one does.
    const released = new Promise<void>((resolve, reject) => {
      release = resolve;
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
    });
    released.catch(() => {});
    pages.push({
      cursor: url.searchParams.get('cursor'),
      limit: url.searchParams.get('limit'),
      next: response.headers.get('x-sync-cursor'),
      release,
    });
    const source = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await released;
        const { done, value } = await source.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => source.cancel(reason),
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { pages, fetch: fetchHeld };
}

describe('paged full resync', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ collections: { tasks: {} } });
  });

  afterAll(async () => {
    await server.close();
  });

  it('asks for the next, twice as large page while one is read, yet stores only the cursor after a stored page', async () => {
    const jwt = await server.tenantToken();
    const changes = Array.from({ length: 75 }, (_, i) =>
      upsert(`t${String(i).padStart(2, '0')}`, { n: i }),
    );
    expect((await server.push(jwt, { client_id: 'seed', changes })).status).toBe(200);

    const store = createMemoryStore();
    const held = holdingFullPages();
    const first = await startClient(server, jwt, {
      store,
      collections: ['tasks'],
      live: false,
      fetch: held.fetch,
      fullResyncPageSize: 10,
    });
    // Page 1 is held unread: page 2 is already asked for, one page ahead and no further.
    await eventually(() => expect(held.pages.length).toBe(2), 20_000);
    expect(held.pages[0]!.cursor).toBeNull();
    expect(held.pages[1]!.cursor).toBe(held.pages[0]!.next);
    expect((await store.meta()).resyncCursor).toBeNull();

    held.pages[0]!.release();
    await eventually(() => expect(first.client.query('tasks')).toHaveLength(10), 20_000);
    await eventually(() => expect(held.pages.length).toBe(3), 20_000);
    // Each page asks for twice the documents of the one before it.
    expect(held.pages.map((page) => page.limit)).toEqual(['10', '20', '40']);
    // Page 3 is asked for, but a restart must resume at page 2, which is not stored yet.
    expect((await store.meta()).resyncCursor).toBe(held.pages[0]!.next);
    expect((await store.meta()).resyncCursor).not.toBe(held.pages[1]!.next);
    await first.client.close();

    // The next start resumes at page 2, again from the first page size (10, 20, then the last
    // 35 of 40 asked for), and ends with every document.
    const second = await startClient(server, jwt, {
      store,
      collections: ['tasks'],
      live: false,
      fullResyncPageSize: 10,
    });
    try {
      expect(second.client.query('tasks')).toHaveLength(10);
      await eventually(() => expect(second.client.query('tasks')).toHaveLength(75), 20_000);
      expect(second.network.requests.filter((path) => path === '/sync/full')).toHaveLength(3);
      expect(second.client.query('tasks').map((doc) => doc.id)).toEqual(
        changes.map((change) => change.doc_id),
      );
    } finally {
      await second.client.close();
    }
  }, 90_000);
});
