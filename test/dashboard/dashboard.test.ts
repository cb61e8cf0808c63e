import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { cliArgs } from '../support/cli.js';
import { dashboardProject, type Spawned, spawnDashboard } from './project.js';

interface OverviewJson {
  engine: string | null;
  tasks: {
    name: string;
    units: { unit: string; phase: string; running: { stats: { read: number } } | null }[];
    runs: { id: number; trigger: string; status: string }[];
  }[];
  deadLetters: { pipeline: string; key: string }[];
}

async function overview(url: string, token?: string): Promise<OverviewJson> {
  const response = await fetch(new URL('api/overview', url), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return (await response.json()) as OverviewJson;
}

const runsOf = async (url: string, task: string) =>
  (await overview(url)).tasks.find((t) => t.name === task)!.runs;

const row = (page: Page, unit: string) => page.locator(`tr[data-unit="${unit}"]`);

const WAIT = { timeout: 60_000, interval: 200 };

describe.skipIf(!chromiumPath)('the dashboard in headless Chromium', () => {
  let dir: string;
  let engine: Spawned;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = dashboardProject();
    engine = await spawnDashboard(dir, ['run', '--dashboard', '0']);
    browser = await launchChromium();
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows every pipeline and a running unit with its live progress', async () => {
    await page.goto(engine.url);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    expect(await page.locator('section.task h2').allInnerTexts()).toEqual([
      expect.stringContaining('many'),
      expect.stringContaining('small'),
    ]);
    const progress = row(page, 'many/all').locator('.progress');
    await expect.poll(() => row(page, 'many/all').getAttribute('data-phase'), WAIT).toBe('running');
    const readOf = async () =>
      Number(/(\d+) of 50000000 read/.exec(await progress.innerText())?.[1] ?? 0);
    const first = await readOf();
    await expect.poll(readOf, WAIT).toBeGreaterThan(first);
    expect(await page.locator('#meta').innerText()).toMatch(/^engine \S+:\d+:/);
  }, 90_000);

  it('sync-now starts a run of the unit', async () => {
    await expect.poll(async () => (await runsOf(engine.url, 'small')).length, WAIT).toBe(1);
    await row(page, 'small/all').locator('button[data-action="sync"]').click();
    await expect
      .poll(() => page.locator('#message').innerText(), WAIT)
      .toMatch(/Sync requested for small\/all/);
    await expect.poll(async () => (await runsOf(engine.url, 'small')).length, WAIT).toBe(2);
    expect((await runsOf(engine.url, 'small'))[1]).toMatchObject({ trigger: 'manual' });
  }, 90_000);

  it('pause shows the reason on the page; resume runs the unit again', async () => {
    const before = (await runsOf(engine.url, 'small')).length;
    page.once('dialog', (dialog) => void dialog.accept('waiting for the CRM migration'));
    await row(page, 'small/all').locator('button[data-action="pause"]').click();
    await expect.poll(() => row(page, 'small/all').getAttribute('data-phase'), WAIT).toBe('paused');
    expect(await row(page, 'small/all').locator('.state').innerText()).toMatch(
      /paused\s+waiting for the CRM migration/,
    );
    const status = await new Promise<string>((resolve) =>
      execFile(process.execPath, cliArgs('status', '--json'), { cwd: dir }, (_e, stdout) =>
        resolve(stdout),
      ),
    );
    expect(JSON.parse(status)).toContainEqual(
      expect.objectContaining({ pipeline: 'small', pausedReason: 'waiting for the CRM migration' }),
    );
    await row(page, 'small/all').locator('button[data-action="resume"]').click();
    await expect
      .poll(async () => (await runsOf(engine.url, 'small')).length, WAIT)
      .toBe(before + 1);
    await expect
      .poll(() => row(page, 'small/all').getAttribute('data-phase'), WAIT)
      .not.toBe('paused');
  }, 90_000);

  it('lists a dead letter, and retry re-reads its key from the source', async () => {
    const letter = page.locator('tr[data-dead-letter="small/bad"]');
    await letter.waitFor({ timeout: 30_000 });
    const before = (await runsOf(engine.url, 'small')).length;
    await letter.locator('button[data-action="retry"]').click();
    await expect
      .poll(() => page.locator('#message').innerText(), WAIT)
      .toMatch(/Re-reading 1 key\(s\) of small from the source/);
    await expect
      .poll(async () => (await runsOf(engine.url, 'small')).length, WAIT)
      .toBe(before + 1);
    expect((await runsOf(engine.url, 'small')).at(-1)).toMatchObject({ trigger: 'keys' });
  }, 90_000);

  it('`keepsync dashboard` in another process shows the engine running elsewhere', async () => {
    const reader = await spawnDashboard(dir, ['dashboard', '--port', '0']);
    const other = await browser.newPage();
    try {
      await other.goto(reader.url);
      await expect
        .poll(() => row(other, 'many/all').getAttribute('data-phase'), WAIT)
        .toBe('running');
      await expect
        .poll(() => row(other, 'many/all').locator('.progress').innerText(), WAIT)
        .toMatch(/[1-9]\d* read so far/);
      expect(await other.locator('#meta').innerText()).toMatch(/reading the store/);
    } finally {
      await other.close();
      await reader.stop();
    }
  }, 90_000);

  it('refuses to listen beyond 127.0.0.1 without a token, and then asks every request for it', async () => {
    const refused = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        cliArgs('dashboard', '--host', '0.0.0.0', '--port', '0'),
        { cwd: dir, env: { ...process.env, KEEPSYNC_DASHBOARD_TOKEN: '' } },
        (error, _stdout, stderr) => resolve({ code: Number(error?.code ?? 0), stderr }),
      ),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Expected a dashboard token to listen on 0\.0\.0\.0/);
    expect(refused.stderr).not.toMatch(/ {4}at /);

    const token = 'tok-3f9a1c';
    const guarded = await spawnDashboard(dir, ['dashboard', '--host', '0.0.0.0', '--port', '0'], {
      KEEPSYNC_DASHBOARD_TOKEN: token,
    });
    const other = await browser.newPage();
    try {
      const url = guarded.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(new URL('api/overview', url))).status).toBe(401);
      expect((await fetch(new URL('metrics', url))).status).toBe(401);
      expect((await overview(url, token)).tasks).toHaveLength(2);
      await other.goto(`${url}#token=${token}`);
      await row(other, 'small/all').waitFor({ timeout: 30_000 });
      expect(guarded.stderr()).not.toContain(token);
    } finally {
      await other.close();
      await guarded.stop();
    }
  }, 90_000);
});
