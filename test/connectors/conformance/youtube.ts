import * as youtube from '../../../src/connectors/youtube/index.js';
import { FakeYouTube } from '../../fakes/index.js';
import type { SourceHarness } from './harness.js';

let keys = 0;
const CHANNEL = 'UCconformanceconformance';

export const youtubeSource: SourceHarness = {
  connector: 'youtube',
  // Every run lists the whole lookback window (view counts change without any edit time).
  mode: 'full',
  gaps: {},
  async start() {
    const key = `AIza_conformance_${process.pid}_${++keys}`;
    const fake = await new FakeYouTube({ keys: [key] }).start();
    fake.addChannel(CHANNEL, '@conformance');
    let published = Date.now() - 3_600_000;
    return {
      server: fake.server,
      unit: 'channel:@conformance',
      listPath: /\/playlistItems$/,
      // YouTube answers too many requests with 403 rateLimitExceeded.
      rateLimitedStatus: 403,
      source: () =>
        youtube.source({
          channels: ['@conformance'],
          apiKey: key,
          rootUrl: fake.url,
          requestsPerSecond: 1000,
          retryMinDelayMs: 10,
        }),
      async seed(count) {
        return Array.from({ length: count }, (_, index) => {
          published -= 60_000;
          return fake.addVideo(CHANNEL, {
            title: `Video ${index}`,
            publishedAt: new Date(published).toISOString(),
            viewCount: index,
          }).id;
        });
      },
      async change(key) {
        fake.videos.get(key)!.viewCount += 1_000;
      },
      async remove(key) {
        fake.deleteVideo(key);
      },
      revoke: () => fake.revokeKey(key),
      close: () => fake.close(),
    };
  },
};
