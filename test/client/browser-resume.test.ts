import type { BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleClient } from '../../examples/offline-todo/server.js';
import { upsert } from '../server/helpers.js';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { clientPageHtml, ORIGIN, type PageWindow, taskCount } from './browser-page.js';
import { startTestServer, type TestServer } from './helpers.js';

/** The cursor the page's IndexedDB store keeps for resuming its full resync. */
function storedResyncCursor(page: Page): Promise<unknown> {
  return page.evaluate(
    () =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('keepsync-test');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const read = db.transaction('meta').objectStore('meta').get('resyncCursor');
          read.onerror = () => reject(read.error);
          read.onsuccess = () => {
            db.close();
            resolve(read.result);
          };
        };
      }),
  );
}

describe.skipIf(!chromiumPath)('a full resync in Chromium interrupted by a reload', () => {
  let server: TestServer;
  let bundle: string;

  beforeAll(async () => {
    server = await startTestServer();
    bundle = await bundleClient(false);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keeps the local documents readable and resumes from the last stored page', async () => {
    const jwt = await server.tenantToken();
    const docs = 3000;
    for (let start = 0; start < docs; start += 500) {
      const changes = Array.from({ length: 500 }, (_, i) =>
        upsert(`t${String(start + i).padStart(4, '0')}`, { n: start + i }),
      );
      expect((await server.push(jwt, { client_id: 'seed', changes })).status).toBe(200);
    }
    const browser = await launchChromium();
    let context: BrowserContext | undefined;
    try {
      context = await browser.newContext();
      const fullCursors: Array<string | null> = [];
      const control = { forceResync: false, holdAfter: Number.POSITIVE_INFINITY };
      // The client polls every 200 ms: pulls wait at this gate while the server changes, so
      // none of them can carry the change before the client is told to resync.
      const pulls = { gate: Promise.resolve(), inFlight: 0 };
      let openGate = () => {};
      const held: Route[] = [];
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      await context.route(`${ORIGIN}/**`, async (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === '/')
          return route.fulfill({
            contentType: 'text/html',
            body: clientPageHtml(jwt, { fullResyncPageSize: 500 }),
          });
        if (url.pathname === '/client.js') {
          return route.fulfill({ contentType: 'text/javascript', body: bundle });
        }
        if (url.pathname === '/sync/pull') {
          await pulls.gate;
          if (control.forceResync) return route.fulfill({ json: { full_resync_required: true } });
          pulls.inFlight += 1;
        }
        if (url.pathname === '/sync/full') {
          control.forceResync = false;
          fullCursors.push(url.searchParams.get('cursor'));
          if (fullCursors.length > control.holdAfter) {
            held.push(route);
            await released;
          }
        }
        try {
          const response = await route.fetch({ url: `${server.url}${url.pathname}${url.search}` });
          await route.fulfill({ response });
        } catch {
          // The page was reloaded while this request was held: nobody waits for it any more.
        } finally {
          if (url.pathname === '/sync/pull') pulls.inFlight -= 1;
        }
      });
      const page = await context.newPage();
      await page.goto(`${ORIGIN}/`);
      await expect.poll(() => taskCount(page), { timeout: 30_000 }).toBe(docs);
      const firstBootstrap = fullCursors.length;
      // Pages of 500, 1,000 and 1,500 (of 2,000 asked for): each asks for twice the one before.
      expect(firstBootstrap).toBe(3);

      // The server changes, then tells the client its cursor is too old: a full resync.
      pulls.gate = new Promise<void>((resolve) => {
        openGate = resolve;
      });
      await expect.poll(() => pulls.inFlight, { timeout: 30_000 }).toBe(0);
      await server.push(jwt, {
        client_id: 'seed',
        changes: [
          { collection: 'tasks', operation: 'delete', doc_id: 't0000', data: null },
          upsert('t9999', { n: 'added' }),
        ],
      });
      control.holdAfter = firstBootstrap + 2;
      control.forceResync = true;
      openGate();
      await expect.poll(() => held.length, { timeout: 30_000 }).toBe(1);
      const resumeFrom = fullCursors.at(-1);
      expect(resumeFrom).toEqual(expect.any(String));
      // The client asks for a page while it still stores the one before: reload only once the
      // second page is stored, with the held page's cursor.
      await expect.poll(() => storedResyncCursor(page), { timeout: 30_000 }).toBe(resumeFrom);

      // Reloaded with two of three pages (1,500 documents) stored: every document is still
      // there to read (t0000 came as a tombstone in the first page).
      await page.reload();
      await expect.poll(() => held.length, { timeout: 30_000 }).toBe(2);
      expect(fullCursors.at(-1)).toBe(resumeFrom);
      expect(await taskCount(page)).toBe(docs - 1);

      const added = () =>
        page.evaluate(
          () =>
            (window as unknown as PageWindow).syncClient
              .query('tasks')
              .find((doc) => doc.id === 't9999')?.data,
        );
      expect(await added()).toBeUndefined();
      release();
      await expect.poll(added, { timeout: 30_000 }).toEqual({ n: 'added' });
      expect(await taskCount(page)).toBe(docs);
      // 3,001 documents: three requests before the reload (500, 1,000, the third held), three
      // after it (the held page again from 500, then 1,000 and the last document); never from
      // the start again.
      expect(fullCursors.slice(firstBootstrap)).toHaveLength(6);
      expect(fullCursors.filter((cursor) => cursor === null)).toHaveLength(2);
    } finally {
      await context?.close();
      await browser.close();
    }
  });
});
