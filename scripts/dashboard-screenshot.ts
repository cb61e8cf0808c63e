/**
 * Takes docs/dashboard.png: a project with a unit running, a run history, a paused unit and a
 * dead letter, served by `keepsync run --dashboard` and shot in headless Chromium.
 * Run: node --import tsx scripts/dashboard-screenshot.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../test/support/chromium.js';
import { cliArgs } from '../test/support/cli.js';

const CONFIG = `
import { defineConfig } from 'keepsync';
import * as files from 'keepsync/connectors/files';
import * as memory from 'keepsync/connectors/memory';
const round = Number(process.env.ROUND ?? 6);
const people = Array.from({ length: 40 + round * 25 }, (_, i) => ({
  key: 'p' + i,
  fields: { name: 'Person ' + i, visits: i % (round + 2) },
}));
export default defineConfig({
  pipelines: [
    {
      name: 'github-issues',
      source: memory.source({
        pageSize: 100,
        units: {
          'acme/api': { count: 250_000, record: (i) => ({ key: String(i), fields: { n: i } }) },
        },
      }),
      destination: memory.destination(),
    },
    {
      name: 'contacts',
      schedule: { everyMs: 3_600_000 },
      source: memory.source({
        pageSize: 20,
        units: { crm: [...people, { key: 'p-bad', fields: { age: 1n } }] },
      }),
      destination: files.destination({ dir: 'contacts' }),
    },
    {
      name: 'notion-tasks',
      source: memory.source({ units: { workspace: [{ key: 't1', fields: { title: 'Ship' } }] } }),
      destination: files.destination({ dir: 'tasks' }),
    },
  ],
});
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-screenshot-'));
  const out = join(import.meta.dirname, '../docs/dashboard.png');
  // Exit codes are not checked: the runs of contacts end with a dead letter (exit 4) on purpose.
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, cliArgs(...args), {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
  try {
    writeFileSync(join(dir, 'keepsync.config.ts'), CONFIG);
    for (let round = 1; round <= 6; round++) {
      cli(['run', '--once', 'contacts', 'notion-tasks'], { ROUND: String(round) });
    }
    cli(['pause', 'notion-tasks', '--reason', 'Notion token revoked: re-authorize, then resume']);
    const engine = spawn(process.execPath, cliArgs('run', '--dashboard', '0'), { cwd: dir });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        engine.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const found = /keepsync dashboard on (http:\S+)/.exec(stderr)?.[1];
          if (found) resolve(found);
        });
        engine.once('close', () => reject(new Error(stderr)));
      });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(url);
        await page.waitForFunction(
          () => /[1-9]\d* of 250000 read/.test(document.body.innerText),
          undefined,
          { timeout: 60_000 },
        );
        await page.screenshot({ path: out, fullPage: true });
      } finally {
        await browser.close();
      }
    } finally {
      engine.kill('SIGTERM');
      await new Promise((resolve) => engine.once('close', resolve));
    }
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
