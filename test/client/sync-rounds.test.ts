import { describe, expect, it } from 'vitest';
import type { LiveLink } from '../../src/client/live-link.js';
import type { PushLoop } from '../../src/client/push-loop.js';
import type { Replica } from '../../src/client/replica.js';
import { SyncRounds } from '../../src/client/sync-rounds.js';

/** Rounds over fakes that count pulls; `atRoundEnd` runs as the round's last synchronous step. */
function roundsWithFakes(atRoundEnd: (rounds: SyncRounds) => void) {
  let pulls = 0;
  const replica = {
    needsResync: false,
    fullResync: async () => {},
    pullAll: async () => {
      pulls += 1;
    },
  } as unknown as Replica;
  const pushLoop = { run: async () => {} } as unknown as PushLoop;
  let rounds: SyncRounds;
  const live = {
    live: true,
    connect: () => atRoundEnd(rounds),
  } as unknown as LiveLink;
  rounds = new SyncRounds({
    replica,
    pushLoop,
    live: () => live,
    mayRun: () => true,
    isRunning: () => true,
    browserOffline: () => false,
    setConnection: () => {},
    reportError: (error) => {
      throw error;
    },
    pollIntervalMs: 60_000,
    backoff: undefined,
  });
  return { rounds, pulls: () => pulls };
}

describe('SyncRounds', () => {
  it('runs a sync() asked in the microtask after the last round ended, instead of folding it into the ended round', async () => {
    let lateSync: Promise<void> | undefined;
    let pullsWhenAsked = -1;
    const { rounds, pulls } = roundsWithFakes((self) => {
      if (lateSync) return;
      // Queued before the round's promise settles: it runs after the loop has looked for more
      // requests and found none, but before anything that settles later.
      queueMicrotask(() => {
        pullsWhenAsked = pulls();
        lateSync = self.sync();
      });
    });
    await rounds.sync();
    expect(lateSync).toBeDefined();
    await lateSync;
    expect(pullsWhenAsked).toBe(1);
    expect(pulls()).toBe(2);
    await rounds.running;
  });

  it('a round that ends before its first await (offline) does not stay remembered as running', async () => {
    let offline = true;
    let pulls = 0;
    const rounds = new SyncRounds({
      replica: {
        needsResync: false,
        fullResync: async () => {},
        pullAll: async () => {
          pulls += 1;
        },
      } as unknown as Replica,
      pushLoop: { run: async () => {} } as unknown as PushLoop,
      live: () => null,
      mayRun: () => true,
      isRunning: () => true,
      browserOffline: () => offline,
      setConnection: () => {},
      reportError: () => {},
      pollIntervalMs: 60_000,
      backoff: undefined,
    });
    await expect(rounds.sync()).rejects.toThrow(/offline/);
    offline = false;
    await rounds.sync();
    expect(pulls).toBe(1);
    rounds.cancelWake();
  });
});
