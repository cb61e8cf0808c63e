/**
 * One command, end to end: start a fake YouTube channel and a fake Notion, run the pipeline
 * once through the keepsync CLI, run it again (nothing changed: reads only, no writes), let a
 * video gain views and run a third time, print what each run did, stop the fakes.
 *
 *   node --import tsx examples/youtube-to-notion/main.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeNotion } from '../../test/fakes/index.js';
import { startFakes } from './fakes.js';

const VIDEOS = 30; // one a day: the 20 of the last 21 days are inside the lookback window
const cli = join(import.meta.dirname, '../../src/cli/main.ts');
const config = join(import.meta.dirname, 'keepsync.config.ts');

function keepsync(env: Record<string, string>, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--config', config, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`keepsync exited with ${code}\n${out}`)),
    );
  });
}

async function main(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'keepsync-youtube-to-notion-'));
  const fakes = await startFakes(VIDEOS);
  const env = { ...fakes.env, KEEPSYNC_STATE: join(state, 'keepsync.db') };
  const requests = () =>
    `YouTube ${fakes.youtube.server.requests.length} (${fakes.youtube.quotaUsed.get('AIza_example') ?? 0} quota units so far), ` +
    `Notion ${fakes.notion.server.count()} (${fakes.notion.server.writes([/\/query$/])} writes)`;
  try {
    console.log(`1. First run: the last 21 days of a channel with ${VIDEOS} videos -> Notion`);
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);
    const pages = fakes.notion.pagesOf(fakes.dataSourceId);
    console.log(`   ${pages.length} pages in the content calendar`);

    fakes.youtube.server.resetCounts();
    fakes.notion.server.resetCounts();
    console.log('\n2. Second run, nothing changed');
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);

    const newest = [...fakes.youtube.videos.values()].find((video) => video.title === 'Episode 1')!;
    newest.viewCount = 12_345;
    fakes.youtube.server.resetCounts();
    fakes.notion.server.resetCounts();
    console.log('\n3. Episode 1 gains views');
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);
    const page = fakes.notion
      .pagesOf(fakes.dataSourceId)
      .find((row) => FakeNotion.plain(row.properties.Name) === 'Episode 1')!;
    console.log(
      `   Episode 1 now shows ${FakeNotion.plain(page.properties.Reach)} views in Notion`,
    );
  } finally {
    await fakes.close();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
