/**
 * One command, end to end: start a fake Luma calendar and a fake Asana, run the pipeline once
 * through the keepsync CLI, run it again (nothing changed: reads only, no writes), rename an
 * event in Luma and run a third time, print what each run did, stop the fakes.
 *
 *   node --import tsx examples/luma-to-asana/main.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakes } from './fakes.js';

const EVENTS = 8;
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
  const state = mkdtempSync(join(tmpdir(), 'keepsync-luma-to-asana-'));
  const fakes = await startFakes(EVENTS);
  const env = { ...fakes.env, KEEPSYNC_STATE: join(state, 'keepsync.db') };
  const requests = () =>
    `Luma ${fakes.luma.server.requests.length} (${fakes.luma.limited} over its limit), ` +
    `Asana ${fakes.asana.server.count()} (${fakes.asana.server.writes()} writes)`;
  try {
    console.log(`1. First run: ${EVENTS} Luma events -> Asana tasks (Luma paced at 200/min)`);
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);
    const task = fakes.asana.tasksOf(fakes.projectGid)[0]!;
    console.log(
      `   ${fakes.asana.tasksOf(fakes.projectGid).length} tasks; e.g. "${task.name}" due ${task.due_on}`,
    );

    fakes.luma.server.resetCounts();
    fakes.asana.server.resetCounts();
    console.log('\n2. Second run, nothing changed');
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);

    const event = [...fakes.luma.events.values()].find((e) => e.name === task.name)!;
    event.name = `${event.name} (moved online)`;
    fakes.luma.server.resetCounts();
    fakes.asana.server.resetCounts();
    console.log('\n3. An event is renamed in Luma');
    console.log(await keepsync(env, 'run', '--once'));
    console.log(`   requests: ${requests()}`);
    console.log(`   the task is now "${fakes.asana.tasks.get(task.gid)!.name}"`);
  } finally {
    await fakes.close();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
