import type { BrowserContext, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleClient } from '../../examples/offline-todo/server.js';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { clientPageHtml, ORIGIN, type PageWindow } from './browser-page.js';
import { serverState, startTestServer, type TestServer } from './helpers.js';

interface SentChange {
  id: string;
  doc_id: string;
  parent_version: string | null;
}

describe.skipIf(!chromiumPath)('a push in Chromium interrupted by a reload', () => {
  let server: TestServer;
  let bundle: string;

  beforeAll(async () => {
    server = await startTestServer();
    bundle = await bundleClient(false);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('resends the same batch after the reload, so the server recognises it: no conflict', async () => {
    const jwt = await server.tenantToken();
    const browser = await launchChromium();
    let context: BrowserContext | undefined;
    try {
      context = await browser.newContext();
      const pushes: SentChange[][] = [];
      const control = { loseAnswer: true };
      const held: Route[] = [];
      await context.route(`${ORIGIN}/**`, async (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === '/') {
          return route.fulfill({ contentType: 'text/html', body: clientPageHtml(jwt) });
        }
        if (url.pathname === '/client.js') {
          return route.fulfill({ contentType: 'text/javascript', body: bundle });
        }
        if (url.pathname === '/sync/push') {
          pushes.push((route.request().postDataJSON() as { changes: SentChange[] }).changes);
        }
        try {
          const response = await route.fetch({ url: `${server.url}${url.pathname}${url.search}` });
          if (url.pathname === '/sync/push' && control.loseAnswer) {
            // Applied by the server, but the answer never comes back while the page lives.
            control.loseAnswer = false;
            held.push(route);
            return;
          }
          await route.fulfill({ response });
        } catch {
          // The page was reloaded while this request was held.
        }
      });
      const page = await context.newPage();
      await page.goto(`${ORIGIN}/`);
      await page.waitForFunction(() => (window as unknown as PageWindow).syncClient !== undefined);
      await page.evaluate(() =>
        (window as unknown as PageWindow).syncClient.put('tasks', 'a', { title: 'first' }),
      );
      await expect.poll(() => held.length, { timeout: 30_000 }).toBe(1);
      expect(await serverState(server, jwt, 'tasks')).toEqual({ 'tasks/a': { title: 'first' } });
      // A second edit while the first push waits for its answer, then the page reloads.
      await page.evaluate(() =>
        (window as unknown as PageWindow).syncClient.put('tasks', 'a', { title: 'second' }),
      );
      await page.reload();

      await expect
        .poll(() => serverState(server, jwt, 'tasks'), { timeout: 30_000 })
        .toEqual({ 'tasks/a': { title: 'second' } });
      await expect
        .poll(
          () => page.evaluate(() => (window as unknown as PageWindow).syncClient.pendingCount()),
          { timeout: 30_000 },
        )
        .toBe(0);
      expect(await page.evaluate(() => (window as unknown as PageWindow).syncEvents)).toEqual([]);
      // The first push after the reload is the unanswered one, change for change.
      expect(pushes.length).toBeGreaterThanOrEqual(3);
      expect(pushes[1]).toEqual(pushes[0]);
      expect(pushes.at(-1)?.[0]?.parent_version).toEqual(expect.any(String));
    } finally {
      await context?.close();
      await browser.close();
    }
  });
});
