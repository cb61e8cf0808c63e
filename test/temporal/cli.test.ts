import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { UnitStatus } from '../../src/temporal/index.js';
import { cliArgs, keepsync } from '../support/cli.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const config = `
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';

export default defineConfig({
  pipelines: [{
    name: 'contacts',
    source: memory.source({ units: { all: [
      { key: 'c1', fields: { name: 'Ada' } },
      { key: 'c2', fields: { name: 'Alan' } },
    ] } }),
    destination: files.destination({ dir: 'out' }),
    schedule: { everyMs: 3_600_000 },
  }],
});
`;

let env: TestWorkflowEnvironment | undefined;
let worker: ChildProcess | undefined;
// Each test's worker goes with its test, so one that fails midway leaves no process behind.
afterEach(() => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  worker = undefined;
});
afterAll(async () => {
  await env?.teardown();
});

describe('keepsync worker and keepsync temporal', () => {
  it('start, status, signal and stop the unit workflows of a config, run by `keepsync worker`', async () => {
    env = await startTemporalDevServer();
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-temporal-cli-'));
    writeFileSync(join(dir, 'keepsync.config.ts'), config);
    const target = ['--address', env.address, '--task-queue', 'cli-test'];
    worker = spawn(process.execPath, cliArgs('worker', ...target), {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let workerOutput = '';
    worker.stderr!.on('data', (chunk) => {
      workerOutput += chunk;
    });
    const workerExit = new Promise<number | null>((resolve) => worker!.on('exit', resolve));

    const started = await keepsync(dir, '--json', 'temporal', 'start', ...target);
    expect(started.stderr).toBe('');
    expect(JSON.parse(started.stdout)).toEqual({
      ensured: ['keepsync:contacts:all'],
      stopped: [],
      tokenOwners: { ensured: [], unauthorized: [] },
    });

    const ran = await eventually(
      async () => {
        const result = await keepsync(dir, '--json', 'temporal', 'status', ...target);
        const [status] = JSON.parse(result.stdout) as UnitStatus[];
        if (status?.lastRun?.status !== 'succeeded') throw new Error(result.stdout + result.stderr);
        return status;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(ran.lastStats).toMatchObject({ created: 2 });
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['c1.yaml', 'c2.yaml']);

    const badCron = await keepsync(
      dir,
      'temporal',
      'signal',
      'contacts',
      'setSchedule',
      '--cron',
      'every tuesday',
      ...target,
    );
    expect(badCron.code).toBe(2);
    expect(badCron.stderr).toMatch(/schedule.cron` to be a cron expression, got "every tuesday"/);

    const paused = await keepsync(
      dir,
      'temporal',
      'signal',
      'contacts',
      'pause',
      '--reason',
      'maintenance',
      ...target,
    );
    expect(paused.stdout).toContain('sent pause to 1 workflow(s)');
    const table = await eventually(async () => {
      const result = await keepsync(dir, 'temporal', 'status', ...target);
      if (result.code !== 3) throw new Error(result.stdout + result.stderr);
      return result.stdout;
    });
    expect(table).toContain('paused: maintenance');

    const stopped = await keepsync(dir, 'temporal', 'stop', ...target);
    expect(stopped.stdout).toContain('stopped keepsync:contacts:all');
    const description = await env.client.workflow.getHandle('keepsync:contacts:all').describe();
    await eventually(async () => {
      const now = await env!.client.workflow.getHandle('keepsync:contacts:all').describe();
      if (now.status.name !== 'CANCELLED') throw new Error(now.status.name);
    });
    expect(description.taskQueue).toBe('cli-test');

    worker.kill('SIGTERM');
    expect(await workerExit).toBe(0);
    expect(workerOutput).toContain('keepsync worker polling task queue cli-test');
  }, 240_000);

  it('keepsync run starts and wakes the workflows when the config chooses the Temporal engine', async () => {
    env ??= await startTemporalDevServer();
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-temporal-run-'));
    writeFileSync(
      join(dir, 'keepsync.config.ts'),
      config
        .replace("name: 'contacts'", "name: 'people'")
        .replace(
          'pipelines: [{',
          `engine: { kind: 'temporal', address: '${env.address}', taskQueue: 'cli-run' },\n  pipelines: [{`,
        ),
    );
    const runner = spawn(
      process.execPath,
      cliArgs('worker', '--address', env.address, '--task-queue', 'cli-run'),
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    worker = runner;
    const ran = await keepsync(dir, 'run', '--once');
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toContain('1 workflow(s) ensured, 0 stopped, 1 woken to run now');
    // Nothing ran in the CLI process: the worker wrote the files.
    await eventually(
      async () => {
        expect(readdirSync(join(dir, 'out')).sort()).toEqual(['c1.yaml', 'c2.yaml']);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const exited = new Promise((resolve) => runner.once('exit', resolve));
    runner.kill('SIGTERM');
    await exited;
  }, 180_000);

  it('worker and temporal start|status|signal|stop take the engine section of the config; flags win', async () => {
    env ??= await startTemporalDevServer();
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-temporal-config-'));
    writeFileSync(
      join(dir, 'keepsync.config.ts'),
      config
        .replace("name: 'contacts'", "name: 'orders'")
        .replace(
          'pipelines: [{',
          `engine: { kind: 'temporal', address: '${env.address}', namespace: 'default', taskQueue: 'from-config' },\n  pipelines: [{`,
        ),
    );
    // No flag anywhere: the address and task queue come from the config.
    const runner = spawn(process.execPath, cliArgs('worker'), {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker = runner;
    let runnerOutput = '';
    runner.stderr!.on('data', (chunk) => {
      runnerOutput += chunk;
    });
    const runnerExit = new Promise<number | null>((resolve) => runner.once('exit', resolve));

    const started = await keepsync(dir, '--json', 'temporal', 'start');
    expect(started.stderr).toBe('');
    expect(JSON.parse(started.stdout).ensured).toEqual(['keepsync:orders:all']);
    const handle = env.client.workflow.getHandle('keepsync:orders:all');
    expect((await handle.describe()).taskQueue).toBe('from-config');
    const ran = await eventually(
      async () => {
        const result = await keepsync(dir, '--json', 'temporal', 'status');
        const [status] = JSON.parse(result.stdout) as UnitStatus[];
        if (status?.lastRun?.status !== 'succeeded') throw new Error(result.stdout + result.stderr);
        return status;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(ran.lastStats).toMatchObject({ created: 2 });
    const signalled = await keepsync(dir, 'temporal', 'signal', 'orders', 'pause', '--reason', 'x');
    expect(signalled.stdout).toContain('sent pause to 1 workflow(s)');
    expect(runnerOutput).toContain(`polling task queue from-config on ${env.address}`);
    runner.kill('SIGTERM');
    expect(await runnerExit).toBe(0);

    // A flag overrides the config.
    const flagged = spawn(process.execPath, cliArgs('worker', '--task-queue', 'flagged'), {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker = flagged;
    let flaggedOutput = '';
    flagged.stderr!.on('data', (chunk) => {
      flaggedOutput += chunk;
    });
    const flaggedExit = new Promise<number | null>((resolve) => flagged.once('exit', resolve));
    await eventually(async () => {
      if (!flaggedOutput.includes('polling task queue flagged')) throw new Error(flaggedOutput);
    });
    flagged.kill('SIGTERM');
    expect(await flaggedExit).toBe(0);

    const stopped = await keepsync(dir, 'temporal', 'stop');
    expect(stopped.stdout).toContain('stopped keepsync:orders:all');

    // A misspelt engine key is an error naming it, for the worker as for every command.
    writeFileSync(
      join(dir, 'keepsync.config.ts'),
      config.replace(
        'pipelines: [{',
        `engine: { kind: 'temporal', adress: '${env.address}' },\n  pipelines: [{`,
      ),
    );
    for (const command of [['worker'], ['temporal', 'status']]) {
      const refused = await keepsync(dir, ...command);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/engine.*adress/);
    }
  }, 360_000);
});
