/**
 * One command, end to end: start fake GitHub and Notion services, run the pipeline once
 * through the keepsync CLI, run it again (nothing changed: no writes), change two
 * repositories and run a third time, print what each run did, stop the fakes.
 *
 *   node --import tsx examples/github-to-notion/main.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeNotion } from '../../test/fakes/index.js';
import { startFakes } from './fakes.js';

const REPOS = 24;
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
  const state = mkdtempSync(join(tmpdir(), 'keepsync-github-to-notion-'));
  const fakes = await startFakes(REPOS);
  const env = { ...fakes.env, KEEPSYNC_STATE: join(state, 'keepsync.db') };
  const requests = () =>
    `GitHub ${fakes.github.server.requests.length}, Notion ${fakes.notion.server.count()} ` +
    `(${fakes.notion.server.writes([/\/query$/])} writes)`;
  try {
    console.log(`1. First run: ${REPOS} repositories of acme -> Notion (3 requests/s)`);
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);
    const pages = fakes.notion.pagesOf(fakes.dataSourceId);
    const sample = pages.find((page) => FakeNotion.plain(page.properties['Repo ID']) === '1003')!;
    console.log(
      `   ${pages.length} pages; e.g. ${FakeNotion.plain(sample.properties.Name)}: ` +
        `${FakeNotion.plain(sample.properties.Stars)} stars, ${FakeNotion.plain(sample.properties.Language)}`,
    );

    fakes.github.server.resetCounts();
    fakes.notion.server.resetCounts();
    console.log('\n2. Second run, nothing changed');
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);

    const now = new Date(Date.UTC(2026, 5, 1));
    fakes.github.touch(1003, { stargazers_count: 4242 }, now);
    fakes.github.touch(1007, { description: 'Rewritten in Rust' }, now);
    fakes.github.server.resetCounts();
    fakes.notion.server.resetCounts();
    console.log('\n3. Two repositories change on GitHub');
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);
    console.log(`   repo-3 now has ${FakeNotion.plain(sample.properties.Stars)} stars in Notion`);
  } finally {
    await fakes.close();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
