import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoServer, type TodoServer } from '../../examples/offline-todo/server.js';
import { chromiumPath, launchChromium } from '../support/chromium.js';

if (!chromiumPath) {
  console.warn(
    'Skipping the browser tests of keepsync/client: no Chromium found (install it with `apt-get install -y chromium` or set CHROMIUM_PATH).',
  );
}

async function titles(page: Page): Promise<string[]> {
  return page.$$eval('#list li .title', (inputs) =>
    inputs.map((input) => (input as HTMLInputElement).value),
  );
}

async function connection(page: Page, expected: string): Promise<void> {
  await page.waitForSelector(`#status[data-connection='${expected}']`, { timeout: 15_000 });
}

async function rename(page: Page, from: string, to: string): Promise<void> {
  const inputs = page.locator('#list li .title');
  const count = await inputs.count();
  for (let i = 0; i < count; i++) {
    if ((await inputs.nth(i).inputValue()) === from) {
      await inputs.nth(i).fill(to);
      await inputs.nth(i).press('Enter');
      return;
    }
  }
  throw new Error(`no todo titled ${from}`);
}

async function add(page: Page, title: string): Promise<void> {
  await page.fill('#new-title', title);
  await page.click('#add button');
  await page.waitForFunction(
    (text) =>
      [...document.querySelectorAll<HTMLInputElement>('#list li .title')].some(
        (input) => input.value === text,
      ),
    title,
  );
}

describe.skipIf(!chromiumPath)(
  'keepsync/client in headless Chromium (examples/offline-todo)',
  () => {
    let server: TodoServer;
    let browser: Browser;
    let dir: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'keepsync-browser-'));
      server = await startTodoServer({ dbPath: join(dir, 'todo.db') });
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('converges two browsers after one edits offline, and tells the app about the conflict', async () => {
      const alice = await browser.newContext();
      const bob = await browser.newContext();
      try {
        const a = await alice.newPage();
        const b = await bob.newPage();
        await a.goto(`${server.url}/?user=alice`);
        await b.goto(`${server.url}/?user=bob`);
        await Promise.all([connection(a, 'live'), connection(b, 'live')]);

        await add(a, 'Buy milk');
        await add(a, 'Water plants');
        await b.waitForFunction(() => document.querySelectorAll('#list li').length === 2);

        await bob.setOffline(true);
        await connection(b, 'offline');
        await rename(b, 'Buy milk', 'Buy oat milk');
        await add(b, 'Call mom');
        await rename(b, 'Water plants', 'Water the plants');
        // Alice edits the same todo later, online: last writer wins, so Bob's edit loses.
        await rename(a, 'Buy milk', 'Buy whole milk');
        // The rename is stored locally and accepted by the server before Bob comes back.
        await a.waitForFunction(() =>
          (
            window as unknown as {
              todoClient: {
                query(c: string): Array<{ data: { title?: string }; pending: boolean }>;
              };
            }
          ).todoClient
            .query('todos')
            .some((doc) => doc.data.title === 'Buy whole milk' && !doc.pending),
        );

        await bob.setOffline(false);
        await connection(b, 'live');
        await a.waitForFunction(() => document.querySelectorAll('#list li').length === 3);
        await b.waitForFunction(
          () => document.querySelectorAll("#list li[data-pending='true']").length === 0,
        );
        await expect
          .poll(async () => [await titles(a), await titles(b)], { timeout: 10_000 })
          .toEqual([
            ['Buy whole milk', 'Water the plants', 'Call mom'],
            ['Buy whole milk', 'Water the plants', 'Call mom'],
          ]);
        await expect
          .poll(() => b.textContent('#log'), { timeout: 10_000 })
          .toContain('kept "Buy whole milk" from another device');
      } finally {
        await alice.close();
        await bob.close();
      }
    });

    it('keeps unsent changes across a page reload and sends them once the server is reachable', async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/?user=carol`);
        await connection(page, 'live');
        // The page loads, but every sync request fails: as if the sync server were down.
        await context.route('**/sync/**', (route) => route.abort('connectionrefused'));
        await context.routeWebSocket('**/sync/stream', (ws) => ws.close());
        await page.reload();
        await connection(page, 'offline');
        await add(page, 'Written while the server was down');
        await page.reload();
        await page.waitForSelector("#list li[data-pending='true']");
        expect(await titles(page)).toContain('Written while the server was down');

        await context.unrouteAll({ behavior: 'ignoreErrors' });
        await page.reload();
        await page.waitForFunction(
          () => document.querySelectorAll("#list li[data-pending='true']").length === 0,
          undefined,
          { timeout: 15_000 },
        );
        const other = await browser.newContext();
        const check = await other.newPage();
        await check.goto(`${server.url}/?user=dave`);
        await expect
          .poll(() => titles(check), { timeout: 10_000 })
          .toContain('Written while the server was down');
        await other.close();
      } finally {
        await context.close();
      }
    });

    it('lets two tabs share one database: one leads the sync, both see every change', async () => {
      const context = await browser.newContext();
      try {
        const first = await context.newPage();
        const second = await context.newPage();
        await first.goto(`${server.url}/?user=erin`);
        await second.goto(`${server.url}/?user=erin`);
        const role = (page: Page) =>
          page.evaluate(
            () => (window as unknown as { todoClient: { role: string } }).todoClient.role,
          );
        await expect
          .poll(async () => [await role(first), await role(second)].sort())
          .toEqual(['follower', 'leader']);
        const follower = (await role(first)) === 'follower' ? first : second;
        const leader = follower === first ? second : first;
        await add(follower, 'Added in the follower tab');
        await add(leader, 'Added in the leader tab');
        for (const page of [first, second]) {
          await expect
            .poll(() => titles(page), { timeout: 10_000 })
            .toEqual(
              expect.arrayContaining(['Added in the follower tab', 'Added in the leader tab']),
            );
        }
        await expect
          .poll(
            () =>
              follower.evaluate(
                () => document.querySelectorAll("#list li[data-pending='true']").length,
              ),
            { timeout: 10_000 },
          )
          .toBe(0);
        // The leader tab closes: the other one takes over the sync.
        await leader.close();
        await expect.poll(() => role(follower), { timeout: 10_000 }).toBe('leader');
        await add(follower, 'Added after the leader left');
        await expect
          .poll(
            () =>
              follower.evaluate(
                () => document.querySelectorAll("#list li[data-pending='true']").length,
              ),
            { timeout: 10_000 },
          )
          .toBe(0);
      } finally {
        await context.close();
      }
    });
  },
);
