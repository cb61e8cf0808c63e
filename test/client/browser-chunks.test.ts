import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleClient } from '../../examples/offline-todo/server.js';
import { upsert } from '../server/helpers.js';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { clientPageHtml, ORIGIN, type PageWindow, taskCount } from './browser-page.js';
import { startTestServer, type TestServer } from './helpers.js';

/** How many records each object store of the page's database holds. */
function storeCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(
    () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const open = indexedDB.open('keepsync-test');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          try {
            const names = ['chunks', 'documents'];
            const tx = db.transaction(names);
            const counts: Record<string, number> = {};
            for (const name of names) {
              const count = tx.objectStore(name).count();
              count.onsuccess = () => {
                counts[name] = count.result;
              };
            }
            tx.oncomplete = () => {
              db.close();
              resolve(counts);
            };
            tx.onerror = () => reject(tx.error);
          } catch (error) {
            db.close();
            reject(error);
          }
        };
      }),
  );
}

/** The page's tasks as id -> data, read from its client's view. */
function tasks(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() =>
    Object.fromEntries(
      (window as unknown as PageWindow).syncClient.query('tasks').map((row) => [row.id, row.data]),
    ),
  );
}

const pad = (n: number) => `t${String(n).padStart(4, '0')}`;

describe.skipIf(!chromiumPath)('the IndexedDB layout in Chromium', () => {
  let server: TestServer;
  let bundle: string;
  let jwt: string;

  beforeAll(async () => {
    server = await startTestServer();
    bundle = await bundleClient(false);
    jwt = await server.tenantToken();
    for (let start = 0; start < 1500; start += 500) {
      const changes = Array.from({ length: 500 }, (_, i) =>
        upsert(pad(start + i), { n: start + i }),
      );
      expect((await server.push(jwt, { client_id: 'seed', changes })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A context whose pages reach the server only while `online.value` is true. */
  async function openContext(online: { value: boolean }): Promise<BrowserContext> {
    const browser = await launchChromium();
    const context = await browser.newContext();
    context.on('close', () => void browser.close());
    await context.route(`${ORIGIN}/**`, async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/blank') return route.fulfill({ contentType: 'text/html', body: '' });
      if (url.pathname === '/') {
        return route.fulfill({
          contentType: 'text/html',
          body: clientPageHtml(jwt, { fullResyncPageSize: 500 }),
        });
      }
      if (url.pathname === '/client.js') {
        return route.fulfill({ contentType: 'text/javascript', body: bundle });
      }
      if (!online.value) return route.abort('internetdisconnected');
      try {
        const response = await route.fetch({ url: `${server.url}${url.pathname}${url.search}` });
        await route.fulfill({ response });
      } catch {
        // The page was reloaded while this request was in flight.
      }
    });
    return context;
  }

  it('stores a resync page as one record, and reopens later pulls, edits and deletes over it', async () => {
    const online = { value: true };
    const context = await openContext(online);
    try {
      const page = await context.newPage();
      await page.goto(`${ORIGIN}/`);
      await expect.poll(() => taskCount(page), { timeout: 60_000 }).toBe(1500);
      // Two pages (500, then 1,000: pages grow): two chunk records, no record per document.
      expect(await storeCounts(page)).toEqual({ chunks: 2, documents: 0 });

      await server.push(jwt, {
        client_id: 'other-device',
        changes: [
          upsert(pad(1), { n: 'changed' }),
          { collection: 'tasks', operation: 'delete', doc_id: pad(2), data: null },
          upsert('t9999', { n: 'added' }),
        ],
      });
      await page.evaluate(() =>
        (window as unknown as PageWindow).syncClient.put('tasks', 't0003', { n: 'mine' }),
      );
      const expected = async () => {
        const now = await tasks(page);
        return [now[pad(1)], now[pad(2)], now.t9999, now[pad(3)], Object.keys(now).length];
      };
      const after = [{ n: 'changed' }, undefined, { n: 'added' }, { n: 'mine' }, 1500];
      await expect.poll(expected, { timeout: 60_000 }).toEqual(after);
      await expect
        .poll(
          () => page.evaluate(() => (window as unknown as PageWindow).syncClient.pendingCount()),
          { timeout: 60_000 },
        )
        .toBe(0);

      // Offline after a reload: everything comes from IndexedDB.
      online.value = false;
      await page.reload();
      await expect.poll(() => taskCount(page), { timeout: 60_000 }).toBe(1500);
      expect(await expected()).toEqual(after);
      expect((await storeCounts(page)).chunks).toBe(2);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('opens a database of the one-record-per-document layout (v3), then resyncs it', async () => {
    const online = { value: false };
    const context = await openContext(online);
    try {
      const page = await context.newPage();
      await page.goto(`${ORIGIN}/blank`);
      // What a client of v3 stored: two documents, no cursor yet (so it resyncs next).
      await page.evaluate(
        () =>
          new Promise<void>((resolve, reject) => {
            const open = indexedDB.open('keepsync-test', 3);
            open.onupgradeneeded = () => {
              const db = open.result;
              db.createObjectStore('documents', { keyPath: ['collection', 'docId'] });
              db.createObjectStore('outbox', { keyPath: 'order', autoIncrement: true }).createIndex(
                'id',
                'id',
                { unique: true },
              );
              db.createObjectStore('meta');
              db.createObjectStore('rejected', {
                keyPath: 'order',
                autoIncrement: true,
              }).createIndex('editId', 'editId', { unique: true });
              db.createObjectStore('stale');
            };
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const db = open.result;
              const tx = db.transaction(['documents'], 'readwrite');
              for (const docId of ['t0000', 'only-local'])
                tx.objectStore('documents').put({
                  collection: 'tasks',
                  docId,
                  version: '001700000000000-000000-s',
                  deleted: false,
                  data: { n: 'v3' },
                });
              tx.oncomplete = () => {
                db.close();
                resolve();
              };
              tx.onerror = () => reject(tx.error);
            };
          }),
      );
      await page.goto(`${ORIGIN}/`);
      await expect
        .poll(() => tasks(page), { timeout: 60_000 })
        .toEqual({
          t0000: { n: 'v3' },
          'only-local': { n: 'v3' },
        });
      online.value = true;
      // The resync replaced the v3 records: the server's t0000, and the document it does not
      // have is gone (the old documents stay readable until the resync ends).
      const settled = async () => {
        const now = await tasks(page);
        return [now.t0000, now['only-local'], Object.keys(now).length];
      };
      await expect.poll(settled, { timeout: 60_000 }).toEqual([{ n: 0 }, undefined, 1500]);
      // Nothing is left one record per document.
      const counts = await storeCounts(page);
      expect(counts.documents).toBe(0);
      expect(counts.chunks).toBeGreaterThanOrEqual(2);
    } finally {
      await context.close();
    }
  }, 180_000);
});
