import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { definePipeline } from '../../src/sync/index.js';
import {
  bundleKeepsyncWorkflows,
  startUnitWorkflows,
  unitStatus,
} from '../../src/temporal/index.js';
import { eventually, startTemporalDevServer } from '../support/temporal.js';

const RECORDS = 3000;
const PAGE_SIZE = 50;
const KILLS = 3;
const TASK_QUEUE = 'crash-test';
const workerScript = join(import.meta.dirname, 'crash-worker.ts');

let env: TestWorkflowEnvironment | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await env?.teardown();
});

interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves once the worker has read this many pages. */
  pages(count: number): Promise<void>;
  exited: Promise<number | null>;
}

function startWorker(args: readonly string[]): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let pages = 0;
  let output = '';
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    pages += (chunk.toString().match(/PAGE/g) ?? []).length;
    for (const waiter of waiters.splice(0)) {
      if (pages >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    child,
    exited,
    pages: (count) =>
      new Promise<void>((resolve, reject) => {
        if (pages >= count) return resolve();
        waiters.push({ count, resolve });
        exited.then((code) => reject(new Error(`worker exited (${code}) early: ${output}`)));
      }),
  };
}

describe('a Temporal worker killed mid-run', () => {
  it(`resumes from the last committed page: every record once, at most one page re-read per kill (${KILLS} SIGKILLs)`, async () => {
    env = await startTemporalDevServer();
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-temporal-crash-'));
    const bundlePath = join(dir, 'workflows.js');
    writeFileSync(bundlePath, ((await bundleKeepsyncWorkflows()) as { code: string }).code);
    const pageLog = join(dir, 'pages.log');
    writeFileSync(pageLog, '');
    const args = [
      env.address,
      TASK_QUEUE,
      bundlePath,
      join(dir, 'state.db'),
      join(dir, 'dest.db'),
      pageLog,
      String(RECORDS),
      String(PAGE_SIZE),
    ];
    // The starter only needs the pipeline's name and units; the workers hold the real one.
    const pipeline = definePipeline({
      name: 'crash',
      source: memory.source({ units: { all: [] } }),
      destination: memory.destination(),
      schedule: { everyMs: 3_600_000 },
    });
    await startUnitWorkflows({
      client: env.client,
      taskQueue: TASK_QUEUE,
      pipelines: [pipeline],
      activity: { heartbeatTimeoutMs: 3_000, maximumAttempts: 20 },
    });

    const killedPids: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const worker = startWorker(args);
      await worker.pages(3 + Math.floor(Math.random() * 10));
      worker.child.kill('SIGKILL');
      await worker.exited;
      killedPids.push(worker.child.pid!);
    }
    const last = startWorker(args);
    const done = await eventually(
      async () => {
        const status = await unitStatus(env!.client, { pipeline: 'crash', unit: 'all' });
        if (status.lastRun?.status !== 'succeeded') throw new Error(JSON.stringify(status));
        return status;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    last.child.kill('SIGTERM');
    await last.exited;
    expect(done.runs).toBe(1);

    const db = new Database(join(dir, 'dest.db'), { readonly: true });
    const rows = db.prepare('SELECT COUNT(*) AS n FROM objects').get() as { n: number };
    const distinct = db.prepare('SELECT COUNT(DISTINCT key) AS n FROM objects').get() as {
      n: number;
    };
    db.close();
    expect(distinct.n).toBe(RECORDS);
    expect(rows.n).toBe(RECORDS);

    const reads = readFileSync(pageLog, 'utf8').trim().split('\n');
    const readBefore = new Set<string>();
    const pagesByProcess = new Map<string, number>();
    const reReadsByProcess = new Map<string, number>();
    for (const line of reads) {
      const [pid, page] = line.split(' ') as [string, string];
      pagesByProcess.set(pid, (pagesByProcess.get(pid) ?? 0) + 1);
      if (readBefore.has(page)) reReadsByProcess.set(pid, (reReadsByProcess.get(pid) ?? 0) + 1);
      readBefore.add(page);
    }
    expect(readBefore.size).toBe(RECORDS / PAGE_SIZE);
    // Every kill landed mid-run, and each next process started where the last one committed.
    for (const pid of killedPids) {
      expect(pagesByProcess.get(String(pid))).toBeLessThan(RECORDS / PAGE_SIZE);
    }
    expect(pagesByProcess.size).toBe(KILLS + 1);
    // On Temporal a run reads the next page only once this one is committed (README,
    // "Durability"): a restarted process re-reads at most the page being written.
    for (const reReads of reReadsByProcess.values()) expect(reReads).toBeLessThanOrEqual(1);
  }, 300_000);
});
