/**
 * First syncs of N records against the fake YouTube and Luma at each service's documented
 * limit, keepsync paced at that limit: wall time against the lower bound the limit sets, the
 * over-limit answers seen, and the requests of a no-change re-run.
 *
 *   node --import tsx bench/youtube-luma.bench.ts --records 2000 [--only luma-dest]
 *
 * Luma: 200 requests a minute per calendar key (a fixed one-minute window; over it the key is
 * blocked for a minute), so the bound is (requests - 1) x 300 ms. YouTube: 10,000 quota units
 * a day and no published per-second rate; keepsync's default pace (10 requests/s) sets the
 * bound, and the figure that matters is the units spent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as luma from '../src/connectors/luma/index.js';
import * as memory from '../src/connectors/memory/index.js';
import * as youtube from '../src/connectors/youtube/index.js';
import type { Destination, Source } from '../src/sync/index.js';
import { FakeLuma, type FakeServer, FakeYouTube } from '../test/fakes/index.js';
import { measurePacedRun } from './support/paced-run.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '2000' },
    only: { type: 'string' },
  },
});
const records = Number(values.records);
const dir = mkdtempSync(join(tmpdir(), 'keepsync-bench-yt-luma-'));

function measure(
  label: string,
  server: FakeServer,
  perSecond: number,
  limitedStatus: number,
  parts: { source: Source; destination: Destination; unit: string },
  extra?: () => Record<string, unknown>,
) {
  return measurePacedRun({
    label,
    server,
    dir,
    requestsPerSecond: perSecond,
    limitedStatus,
    parts,
    extra,
  });
}

async function lumaDestination() {
  const apiKey = 'luma_bench_dest';
  const fake = await new FakeLuma({ keys: [apiKey] }).start();
  const rows = Array.from({ length: records }, (_, index) => ({
    key: `talk-${index}`,
    fields: { title: `Talk ${index}`, startAt: new Date(Date.UTC(2027, 0, 1, 0, index)) },
  }));
  await measure('luma destination: memory -> 2,000 events at 200/min', fake.server, 200 / 60, 429, {
    source: memory.source({ units: { all: () => rows }, pageSize: 100 }),
    destination: luma.destination({ apiKey, baseUrl: fake.url }),
    unit: 'all',
  });
  await fake.close();
}

async function lumaSource(hosts: boolean) {
  const apiKey = `luma_bench_src_${hosts}`;
  const fake = await new FakeLuma({ keys: [apiKey] }).start();
  const start = Date.now() + 86_400_000;
  for (let index = 0; index < records; index++) {
    fake.addEvent({
      name: `Event ${index}`,
      start_at: new Date(start + index * 60_000).toISOString(),
      hosts: [{ api_id: `usr-${index}`, name: `Host ${index}`, email: `h${index}@example.com` }],
    });
  }
  await measure(
    `luma source: 2,000 events -> memory at 200/min, hosts ${hosts ? 'on' : 'off'}`,
    fake.server,
    200 / 60,
    429,
    {
      source: luma.source({ apiKey, baseUrl: fake.url, hosts }),
      destination: memory.destination(),
      unit: 'events',
    },
  );
  await fake.close();
}

async function youtubeSource() {
  const apiKey = 'AIza_bench_youtube';
  const channel = 'UCbenchbenchbenchbenchbe';
  const fake = await new FakeYouTube({ keys: [apiKey] }).start();
  fake.addChannel(channel, '@bench');
  for (let index = 0; index < records; index++) {
    fake.addVideo(channel, {
      title: `Video ${index}`,
      publishedAt: new Date(Date.now() - (index + 1) * 60_000).toISOString(),
      viewCount: index,
    });
  }
  await measure(
    'youtube source: 2,000 videos -> memory at 10 req/s',
    fake.server,
    10,
    403,
    {
      source: youtube.source({ channels: ['@bench'], apiKey, rootUrl: fake.url }),
      destination: memory.destination(),
      unit: 'channel:@bench',
    },
    () => {
      const units = fake.quotaUsed.get(apiKey) ?? 0;
      fake.resetQuota();
      return { quotaUnits: units };
    },
  );
  await fake.close();
}

const runs: Record<string, () => Promise<void>> = {
  youtube: youtubeSource,
  'luma-dest': lumaDestination,
  'luma-source': () => lumaSource(true),
  'luma-source-no-hosts': () => lumaSource(false),
};
try {
  const chosen = values.only ? [values.only] : Object.keys(runs);
  // Each run has its own key and fake, so they pace independently and can run at once.
  await Promise.all(chosen.map((name) => runs[name]!()));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
