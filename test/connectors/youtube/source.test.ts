import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as memory from '../../../src/connectors/memory/index.js';
import { nextPacificMidnight, source } from '../../../src/connectors/youtube/index.js';
import { Engine } from '../../../src/engine/index.js';
import type { Store } from '../../../src/store/index.js';
import { definePipeline, QUOTA_WAIT, REAUTHORIZE, runPipeline } from '../../../src/sync/index.js';
import { FakeYouTube } from '../../fakes/index.js';
import { memoryStore } from '../../sync/helpers.js';

const CHANNEL = 'UCabcdefghijklmnopqrstuv';
const NOW = new Date('2026-03-20T12:00:00Z');
const DAY = 86_400_000;

let fake: FakeYouTube;
let store: Store;
let keyCount = 0;
let key: string;

beforeEach(async () => {
  key = `AIza_test_${process.pid}_${++keyCount}`;
  fake = await new FakeYouTube({ keys: [key] }).start();
  fake.addChannel(CHANNEL, '@keepsync');
  store = memoryStore();
});
afterEach(async () => {
  await store.close();
  await fake.close();
});

/** `count` videos, one every 6 hours back from NOW. */
function publish(count: number, startHoursAgo = 1) {
  return Array.from({ length: count }, (_, index) =>
    fake.addVideo(CHANNEL, {
      title: `Video ${index}`,
      description: `About ${index}`,
      publishedAt: new Date(NOW.getTime() - (startHoursAgo + index * 6) * 3_600_000).toISOString(),
      viewCount: index * 10,
    }),
  );
}

function youtube(overrides: Partial<Parameters<typeof source>[0]> = {}) {
  return source({
    channels: ['@keepsync'],
    apiKey: key,
    rootUrl: fake.url,
    lookbackDays: 21,
    retryMinDelayMs: 5,
    requestsPerSecond: 1000,
    now: () => NOW,
    ...overrides,
  });
}

function pipelineOf(src = youtube(), deletes: 'ignore' | 'delete' = 'ignore') {
  const target = memory.destination();
  const pipeline = definePipeline({
    name: 'yt',
    source: src,
    destination: target,
    deletes,
    retryMinDelayMs: 5,
  });
  return { target, pipeline };
}

describe('youtube source', () => {
  it('reads the uploads of a channel by @handle down to the lookback window, views batched per page', async () => {
    const videos = publish(120); // 6 h apart: 84 are within 21 days
    const { target, pipeline } = pipelineOf();
    const result = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(result.status).toBe('succeeded');
    const inWindow = videos.filter(
      (video) => Date.parse(video.publishedAt) >= NOW.getTime() - 21 * DAY,
    );
    expect(inWindow).toHaveLength(84);
    expect([...target.byKey().keys()].sort()).toEqual(inWindow.map((video) => video.id).sort());
    const third = target.byKey().get(videos[3]!.id)!.fields;
    expect(third).toMatchObject({
      title: 'Video 3',
      views: 30,
      url: `https://www.youtube.com/watch?v=${videos[3]!.id}`,
    });
    expect(third.publishedAt).toEqual(new Date(videos[3]!.publishedAt));
    // 1 channels.list; page 2 holds the window's end, page 3 (all older) ends the sweep; one
    // videos.list per page with videos in the window: 6 units, never one call per video.
    expect(fake.server.count({ path: /\/channels$/ })).toBe(1);
    expect(fake.server.count({ path: /\/playlistItems$/ })).toBe(3);
    expect(fake.server.count({ path: /\/videos$/ })).toBe(2);
    expect(fake.quotaUsed.get(key)).toBe(6);
  });

  it('resolves a UC… channel id the same way', async () => {
    publish(3);
    const { target, pipeline } = pipelineOf(youtube({ channels: [CHANNEL] }));
    const result = await runPipeline({ store, pipeline, unit: `channel:${CHANNEL}` });
    expect(result.stats.created).toBe(3);
    expect(target.byKey().size).toBe(3);
  });

  it('a no-change re-run reads only and writes nothing; a new view count is one update', async () => {
    const videos = publish(30);
    const { target, pipeline } = pipelineOf();
    await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    const writes = target.writes.length;
    const second = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(second.stats).toMatchObject({ created: 0, updated: 0, unchanged: 30 });
    expect(target.writes.length).toBe(writes);
    fake.videos.get(videos[2]!.id)!.viewCount = 9_999;
    const third = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(third.stats).toMatchObject({ created: 0, updated: 1 });
    expect(target.byKey().get(videos[2]!.id)!.fields.views).toBe(9_999);
  });

  it('a targeted refresh of 120 ids makes three videos.list calls and drops none', async () => {
    const videos = publish(130, 24 * 60); // all older than the window
    const wanted = videos.slice(0, 120).map((video) => video.id);
    const { target, pipeline } = pipelineOf();
    const result = await runPipeline({ store, pipeline, unit: 'channel:@keepsync', keys: wanted });
    expect(result.status).toBe('succeeded');
    expect(result.stats.created).toBe(120);
    expect([...target.byKey().keys()].sort()).toEqual([...wanted].sort());
    expect(fake.server.count({ path: /\/videos$/, status: 200 })).toBe(3);
    expect(fake.server.count({ status: 400 })).toBe(0);
    expect(fake.server.count({ path: /\/playlistItems$/ })).toBe(0);
  });

  it('a video deleted between the listing and videos.list becomes a tombstone, not a failure', async () => {
    const videos = publish(10);
    const { target, pipeline } = pipelineOf(youtube(), 'delete');
    await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(target.byKey().has(videos[4]!.id)).toBe(true);
    const gone = videos[4]!.id;
    fake.onPlaylistPage = (listed) => {
      // Listed on this page, deleted before its videos.list: only videos.list can tell.
      if (listed.includes(gone)) {
        fake.deleteVideo(gone);
        fake.onPlaylistPage = undefined;
      }
    };
    const second = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(second.status).toBe('succeeded');
    expect(second.stats.deleted).toBe(1);
    expect(target.byKey().has(videos[4]!.id)).toBe(false);
    expect(target.byKey().size).toBe(9);
  });

  it('a private video listed as a placeholder is a tombstone too', async () => {
    const videos = publish(5);
    const { target, pipeline } = pipelineOf(youtube(), 'delete');
    await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    fake.deleteVideo(videos[1]!.id, 'private');
    const second = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(second.stats.deleted).toBe(1);
    expect(target.byKey().has(videos[1]!.id)).toBe(false);
  });

  it('an invalid API key (400 keyInvalid) pauses for re-authorization and never shows the key', async () => {
    publish(3);
    fake.revokeKey(key);
    const { target, pipeline } = pipelineOf();
    const result = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(fake.server.count({ status: 400 })).toBe(1);
    expect(result.status).toBe('paused');
    expect(result.pausedReason).toContain(REAUTHORIZE);
    expect(result.pausedReason).toContain('keyInvalid');
    expect(result.pausedReason).not.toContain(key);
    expect(target.writes).toHaveLength(0);
  });

  it('an unknown handle fails naming the channel', async () => {
    const { pipeline } = pipelineOf(youtube({ channels: ['@nobody_here'] }));
    const result = await runPipeline({ store, pipeline, unit: 'channel:@nobody_here' });
    expect(result.status).toBe('failed');
    expect(result.error).toContain('@nobody_here was not found');
  });

  it('rejects a channel that is neither a UC… id nor an @handle, naming it', () => {
    expect(() => youtube({ channels: ['keepsync channel'] })).toThrow(/"keepsync channel"/);
  });

  it('retries 5xx answers', async () => {
    publish(60);
    fake.server.inject({ kind: 'status', status: 503, times: 2, path: /\/playlistItems$/ });
    const { target, pipeline } = pipelineOf();
    const result = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(result.status).toBe('succeeded');
    expect(fake.server.count({ status: 503 })).toBe(2);
    expect(target.byKey().size).toBe(60);
  });

  it('retries 403 rateLimitExceeded (too fast) but not quotaExceeded (used up)', async () => {
    publish(60);
    fake.server.setRateLimit({ requestsPerSecond: 10, burst: 1 });
    const { target, pipeline } = pipelineOf();
    const result = await runPipeline({ store, pipeline, unit: 'channel:@keepsync' });
    expect(result.status).toBe('succeeded');
    expect(fake.server.count({ status: 403 })).toBeGreaterThan(0);
    expect(target.byKey().size).toBe(60);
  });
});

describe('youtube quota', () => {
  it('403 quotaExceeded waits until midnight Pacific instead of failing every run', async () => {
    publish(120);
    fake.setDailyQuota(key, 3); // channels + 1 page + 1 videos.list, then exhausted
    const { target, pipeline } = pipelineOf();
    const engine = await Engine.create({ store, pipelines: [pipeline], owner: 'quota' });
    const [first] = await engine.runOnce();
    expect(first!.status).toBe('paused');
    expect(fake.server.count({ status: 403 })).toBe(1);
    const resumesAt = nextPacificMidnight(new Date());
    expect(first!.resumesAt).toEqual(resumesAt);
    expect(first!.pausedReason).toContain(`${QUOTA_WAIT} ${resumesAt.toISOString()}`);
    expect(first!.pausedReason).toContain('quotaExceeded');
    // What was read before the quota ran out is kept.
    expect(target.byKey().size).toBe(50);

    // The unit is not paused for a person: it waits, due at the reset.
    const unit = (await store.getUnit('yt', 'channel:@keepsync'))!;
    expect(unit).toMatchObject({ paused: false, nextRunAt: resumesAt });
    expect(unit.pausedReason).toContain(QUOTA_WAIT);
    // Runs before the reset do not call the API (each would cost a unit and fail).
    fake.server.resetCounts();
    expect(await engine.runOnce()).toEqual([]);
    await engine.tick(new Date(resumesAt.getTime() - 1000));
    expect(fake.server.requests).toHaveLength(0);

    // After the reset the unit runs on its own and finishes the pass.
    fake.resetQuota();
    fake.setDailyQuota(key, 10_000);
    // The clock reaches the reset (the row's next run is now).
    await store.updateUnit('yt', 'channel:@keepsync', { nextRunAt: new Date(Date.now() - 1) });
    await engine.tick();
    await waitFor(
      async () => (await store.getUnit('yt', 'channel:@keepsync'))!.pausedReason === null,
    );
    expect(target.byKey().size).toBe(84);
    await engine.shutdown();
  }, 30_000);

  it('midnight Pacific is 08:00 UTC in winter and 07:00 UTC in summer', () => {
    expect(nextPacificMidnight(new Date('2026-01-15T10:00:00Z')).toISOString()).toBe(
      '2026-01-16T08:00:00.000Z',
    );
    expect(nextPacificMidnight(new Date('2026-01-15T07:59:00Z')).toISOString()).toBe(
      '2026-01-15T08:00:00.000Z',
    );
    expect(nextPacificMidnight(new Date('2026-07-04T12:00:00Z')).toISOString()).toBe(
      '2026-07-05T07:00:00.000Z',
    );
    // The night clocks go forward (8 March 2026), midnight is still 08:00 UTC.
    expect(nextPacificMidnight(new Date('2026-03-07T20:00:00Z')).toISOString()).toBe(
      '2026-03-08T08:00:00.000Z',
    );
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
