import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../src/sync/index.js';
import {
  CRASH_PIPELINE,
  CRASH_UNIT,
  type CrashFiles,
  createCrashFiles,
  expectResumedAfterKills,
  runWithKills,
} from '../support/engine-crash.js';
import { ConformanceWorld, HOUR, records } from './fixtures.js';

/** What every engine's status answers, in one shape. */
export interface ConformanceStatus {
  readonly paused: boolean;
  readonly pausedReason: string | null;
  /** Runs of this unit that finished (whatever their outcome). */
  readonly runs: number;
  readonly running: boolean;
  readonly lastRun: { readonly status: string; readonly targeted: boolean } | null;
  readonly lastStats: {
    readonly read: number;
    readonly created: number;
    readonly updated: number;
    readonly unchanged: number;
  } | null;
  readonly nextRunAt: Date | null;
  /** Set while the unit waits, unpaused, for a service quota to reset. */
  readonly waitingForQuotaUntil: Date | null;
}

export interface UnitRef {
  readonly pipeline: string;
  readonly unit: string;
}

export type { CrashFiles };

export const CRASH_REF: UnitRef = { pipeline: CRASH_PIPELINE, unit: CRASH_UNIT };

/** One engine, driven the way its users drive it. */
export interface EngineHarness {
  /** Starts the engine on the pipelines (once per test file). */
  start(pipelines: readonly Pipeline[]): Promise<void>;
  stop(): Promise<void>;
  syncNow(ref: UnitRef, keys?: readonly string[]): Promise<void>;
  pause(ref: UnitRef, reason: string): Promise<void>;
  resume(ref: UnitRef): Promise<void>;
  status(ref: UnitRef): Promise<ConformanceStatus>;
  crash: {
    /** Whatever must exist before the first worker process starts (e.g. the workflow). */
    prepare(files: CrashFiles): Promise<void>;
    /** Arguments of engine-crash-worker.ts that run this engine on the files. */
    workerArgs(files: CrashFiles): string[];
    /** The crash unit's status, read from outside the worker processes. */
    status(files: CrashFiles): Promise<ConformanceStatus>;
    /** Pages a restarted process may read again after a SIGKILL (2 with read-ahead). */
    readonly maxPagesReReadPerKill: number;
  };
}

export type ConformanceCase =
  | 'schedule'
  | 'sync-now with keys'
  | 'pause and resume'
  | 'auth pause'
  | 'status'
  | 'quota wait'
  | 'crash resume';

export interface ConformanceOptions {
  /** Cases this engine cannot pass, each with the reason (shown as a skipped test). */
  readonly unsupported?: Partial<Record<ConformanceCase, string>>;
}

/** Polls until the check passes: conditions reached through real engines take their time. */
export async function eventually<T>(
  check: () => Promise<T>,
  { timeoutMs = 90_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The one conformance suite: every engine passes these cases, or names why it cannot. */
export function describeEngineConformance(
  engine: string,
  harness: () => EngineHarness,
  options: ConformanceOptions = {},
): void {
  const world = new ConformanceWorld();
  let engineHarness: EngineHarness;
  const ref = (name: string): UnitRef => ({ pipeline: `conformance-${name}`, unit: 'u' });
  const statusWhere = (
    name: string,
    check: (status: ConformanceStatus) => boolean,
  ): Promise<ConformanceStatus> =>
    eventually(async () => {
      const current = await engineHarness.status(ref(name));
      if (!check(current)) throw new Error(`not reached yet: ${JSON.stringify(current)}`);
      return current;
    });
  const settled = (name: string, minRuns = 1) =>
    statusWhere(name, (s) => s.runs >= minRuns && !s.running);

  const conformance = (name: ConformanceCase, body: () => Promise<void>, timeoutMs = 120_000) => {
    const reason = options.unsupported?.[name];
    if (reason) it.skip(`${name} (not on this engine: ${reason})`, body);
    else it(name, body, timeoutMs);
  };

  describe(`engine conformance: ${engine}`, () => {
    beforeAll(async () => {
      engineHarness = harness();
      await engineHarness.start(world.pipelines);
    }, 180_000);
    afterAll(async () => {
      await engineHarness?.stop();
    }, 60_000);

    conformance('schedule', async () => {
      // Nobody asks: the interval alone makes it run again, and again.
      const later = await settled('schedule', 3);
      expect(later.lastRun).toMatchObject({ status: 'succeeded', targeted: false });
      expect(world.destinations.schedule.objects.size).toBe(2);
      await engineHarness.pause(ref('schedule'), 'case done');
    });

    conformance('sync-now with keys', async () => {
      const before = await settled('keys');
      world.rows.keys = records('k', 3, 'v2');
      await engineHarness.syncNow(ref('keys'), ['k1']);
      const after = await settled('keys', before.runs + 1);
      expect(after.lastRun).toMatchObject({ status: 'succeeded', targeted: true });
      expect(after.lastStats).toMatchObject({ read: 1, updated: 1 });
      const objects = world.destinations.keys.byKey();
      expect(objects.get('k1')?.fields.title).toBe('v2 k1');
      expect(objects.get('k0')?.fields.title).toBe('v1 k0');
      expect(objects.get('k2')?.fields.title).toBe('v1 k2');
      // A targeted run is not the scheduled one: the next run stays where it was.
      expect(after.nextRunAt).toEqual(before.nextRunAt);

      await engineHarness.syncNow(ref('keys'));
      const whole = await settled('keys', after.runs + 1);
      expect(whole.lastRun).toMatchObject({ status: 'succeeded', targeted: false });
      expect(whole.lastStats).toMatchObject({ read: 3, updated: 2, unchanged: 1, created: 0 });
    });

    conformance('pause and resume', async () => {
      const before = await settled('pause');
      await engineHarness.pause(ref('pause'), 'maintenance window');
      const paused = await statusWhere('pause', (s) => s.paused && !s.running);
      expect(paused.pausedReason).toBe('maintenance window');
      world.rows.pause = records('p', 2, 'v2');
      // A sync-now while paused runs nothing (it waits for resume).
      await engineHarness.syncNow(ref('pause'));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await engineHarness.status(ref('pause'))).runs).toBe(before.runs);
      expect(world.destinations.pause.byKey().get('p0')?.fields.title).toBe('v1 p0');

      // Resume catches up at once, although the next scheduled run is an hour away.
      await engineHarness.resume(ref('pause'));
      const resumed = await statusWhere('pause', (s) => !s.paused && s.runs > before.runs);
      await settled('pause', resumed.runs);
      expect(resumed.pausedReason).toBeNull();
      expect(world.destinations.pause.byKey().get('p0')?.fields.title).toBe('v2 p0');
    });

    conformance('auth pause', async () => {
      const paused = await statusWhere('auth', (s) => s.paused && !s.running);
      expect(paused.pausedReason).toContain('token revoked by the provider');
      expect(paused.lastRun?.status).toBe('paused');
      expect(world.destinations.auth.objects.size).toBe(0);
      // Paused means paused: no retry loop against a refused token.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await engineHarness.status(ref('auth'))).runs).toBe(paused.runs);

      world.authBroken = false;
      await engineHarness.resume(ref('auth'));
      const resumed = await statusWhere(
        'auth',
        (s) => !s.paused && s.runs > paused.runs && !s.running,
      );
      expect(resumed.lastRun?.status).toBe('succeeded');
      expect(resumed.pausedReason).toBeNull();
      expect(world.destinations.auth.objects.size).toBe(2);
    });

    conformance('status', async () => {
      // A new unit runs at once: with an hour's interval, waiting for it would time out.
      const status = await settled('status');
      expect(status).toMatchObject({
        paused: false,
        pausedReason: null,
        runs: 1,
        running: false,
        lastRun: { status: 'succeeded', targeted: false },
        lastStats: { read: 2, created: 2, updated: 0, unchanged: 0 },
        waitingForQuotaUntil: null,
      });
      expect(status.nextRunAt).toBeInstanceOf(Date);
      expect(status.nextRunAt!.getTime()).toBeGreaterThan(Date.now() + HOUR / 2);
    });

    conformance('quota wait', async () => {
      const waiting = await statusWhere('quota', (s) => s.waitingForQuotaUntil !== null);
      expect(waiting.paused).toBe(false);
      expect(world.quotaResets.map(Number)).toContain(waiting.waitingForQuotaUntil!.getTime());
      expect(waiting.nextRunAt).toEqual(waiting.waitingForQuotaUntil);
      expect(world.destinations.quota.objects.size).toBe(0);
      // The quota comes back; nobody resumes the unit: at the reset it runs by itself.
      world.quotaExhausted = false;
      const ran = await statusWhere(
        'quota',
        (s) => s.lastRun?.status === 'succeeded' && !s.running,
      );
      expect(ran.waitingForQuotaUntil).toBeNull();
      expect(ran.paused).toBe(false);
      expect(world.destinations.quota.objects.size).toBe(2);
      expect(ran.nextRunAt!.getTime()).toBeGreaterThan(Date.now() + HOUR / 2);
    });

    conformance(
      'crash resume',
      async () => {
        const files = createCrashFiles('keepsync-conformance-crash-', 1_000, 50);
        await engineHarness.crash.prepare(files);
        const { done, killed } = await runWithKills({
          args: engineHarness.crash.workerArgs(files),
          kills: 2,
          spread: 5,
          finished: () =>
            eventually(
              async () => {
                const status = await engineHarness.crash.status(files);
                if (status.lastRun?.status !== 'succeeded') throw new Error(JSON.stringify(status));
                return status;
              },
              { timeoutMs: 150_000, intervalMs: 500 },
            ),
        });
        expect(done.paused).toBe(false);
        // The page being written is re-read, and the one read ahead if the engine reads ahead.
        expectResumedAfterKills(files, killed, engineHarness.crash.maxPagesReReadPerKill);
      },
      240_000,
    );
  });
}
