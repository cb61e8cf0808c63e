import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeLuma } from '../../fakes/index.js';
import { runWorker } from '../../support/worker.js';
import { keyOfTitle } from '../conformance/luma.js';

const WORKER = join(import.meta.dirname, '../conformance/worker.ts');
const HARNESS = join(import.meta.dirname, '../conformance/luma.ts');

let fake: FakeLuma;
let dir: string;
const apiKey = `luma_crash_${process.pid}`;

beforeEach(async () => {
  fake = await new FakeLuma({ keys: [apiKey], requestsPerMinute: 1_000_000 }).start();
  dir = mkdtempSync(join(tmpdir(), 'keepsync-luma-crash-'));
});
afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

it('SIGKILL between a Luma create and its link commit duplicates that one event, no other', async () => {
  // 60 records in pages of 20; the kill lands after Luma applied the 30th create (the 10th
  // of page 2) and before its answer reached the process: inside the at-least-once window.
  const args = [HARNESS, join(dir, 'state.db'), '60', fake.url, apiKey];
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  let creates = 0;
  fake.onCreated = async () => {
    if (++creates !== 30) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  await exited(child);
  expect(child.signalCode, output).toBe('SIGKILL');
  expect(fake.events.size).toBe(30);
  fake.onCreated = undefined;

  const rerun = await runWorker(WORKER, args, null);
  expect(rerun.stdout).toContain('DONE succeeded');
  const perKey = new Map<string, number>();
  for (const event of fake.events.values()) {
    const key = keyOfTitle(event.name);
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  expect(perKey.size).toBe(60);
  const duplicated = [...perKey].filter(([, count]) => count > 1).map(([key]) => key);
  // The documented window: only the create whose answer was in flight is made twice. The
  // 9 creates before it on the same page kept their links (committed one by one).
  expect(duplicated).toEqual(['K-29']);
  expect(fake.events.size).toBe(61);
}, 120_000);
