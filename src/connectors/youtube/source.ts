import { KeepsyncError, type SyncRecord } from '../../model/index.js';
import { rateLimiterFor } from '../../net/index.js';
import { checkOptions, type ReadOptions, type Source, type SourcePage } from '../../sync/index.js';
import { createYouTubeClient, MAX_PAGE, type YouTubeClient } from './client.js';
import { sourceSchema } from './options-schema.js';
import { batches, goneRecord, videoRecord } from './records.js';
import { type YouTubeRequester, youTubeRequester } from './requests.js';

export interface YouTubeSourceOptions {
  /** Channels to read, each a `UC…` channel id or an `@handle`; one unit each. */
  channels: readonly string[];
  /** A Google Cloud API key with YouTube Data API v3 enabled (sent as `key=`, never logged). */
  apiKey: string;
  /** Videos published within this many days are read (and their view counts refreshed). @default 21 */
  lookbackDays?: number;
  /** @default 'https://youtube.googleapis.com/' */
  rootUrl?: string;
  /** Requests per second per key. @default 10 */
  requestsPerSecond?: number;
  /** Retries of a 5xx, a lost answer or a rate-limit reason. @default 5 */
  retries?: number;
  /** First retry delay; later ones back off. @default 500 */
  retryMinDelayMs?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of the `@googleapis/youtube` SDK (tests). */
  client?: YouTubeClient;
  /** The clock the lookback window is measured from (tests). @default () => new Date() */
  now?: () => Date;
  /** @default 'youtube' */
  name?: string;
}

/** Mid-pass: the frozen window, the resolved playlist and the page to read next. */
type WindowCursor = {
  readonly after: string;
  readonly playlist: string;
  readonly pageToken: string;
};

const UNIT_PREFIX = 'channel:';
const DAY_MS = 86_400_000;

/**
 * Reads each channel's uploads playlist, newest first, down to the lookback window, and
 * fetches the videos of each page in one videos.list call (titles and view counts: 2 quota
 * units per 50 videos). A listed video that videos.list no longer returns is a tombstone.
 * A targeted read (keys) looks the video ids up directly, 50 per call, none dropped.
 */
export function source(options: YouTubeSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'youtube.source');
  if (!options.channels?.length) {
    throw new KeepsyncError('CONFIG_INVALID', 'youtube.source needs at least one of `channels`');
  }
  for (const channel of options.channels) {
    if (!/^UC[\w-]{22}$/.test(channel) && !/^@[\w.-]{3,30}$/.test(channel)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected each of youtube.source \`channels\` to be a UC… channel id or an @handle, got "${channel}"`,
      );
    }
  }
  if (!options.client && !options.apiKey) {
    throw new KeepsyncError('CONFIG_INVALID', 'youtube.source needs `apiKey`');
  }
  const lookbackDays = options.lookbackDays ?? 21;
  if (!(lookbackDays > 0)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected youtube.source \`lookbackDays\` to be above 0, got ${lookbackDays}`,
    );
  }
  return {
    name: options.name ?? 'youtube',
    mode: 'incremental',
    units: () => options.channels.map((channel) => ({ id: `${UNIT_PREFIX}${channel}` })),
    read(unit, readOptions) {
      const channel = unit.startsWith(UNIT_PREFIX) ? unit.slice(UNIT_PREFIX.length) : '';
      if (!options.channels.includes(channel)) {
        throw new KeepsyncError('CONFIG_INVALID', `youtube source has no unit ${unit}`);
      }
      return readChannel(options, lookbackDays, channel, readOptions);
    },
  };
}

async function* readChannel(
  options: YouTubeSourceOptions,
  lookbackDays: number,
  channel: string,
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const client =
    options.client ??
    (await createYouTubeClient({
      apiKey: options.apiKey,
      rootUrl: options.rootUrl ?? 'https://youtube.googleapis.com/',
      timeoutMs: options.timeoutMs ?? 30_000,
    }));
  const request = youTubeRequester({
    limiter: rateLimiterFor(`youtube:${options.apiKey.slice(-6)}`, {
      requestsPerSecond: options.requestsPerSecond ?? 10,
    }),
    retries: options.retries ?? 5,
    minDelayMs: options.retryMinDelayMs ?? 500,
    telemetry: readOptions.telemetry,
    signal: readOptions.signal,
  });
  if (readOptions.keys) {
    yield* readVideos(client, request, readOptions.keys, readOptions);
    return;
  }
  const saved = readOptions.cursor as WindowCursor | null;
  const now = options.now?.() ?? new Date();
  // The window is frozen for the whole pass, so a resumed pass reads the same videos.
  const after = saved?.after ?? new Date(now.getTime() - lookbackDays * DAY_MS).toISOString();
  const playlist =
    saved?.playlist ??
    (await request('channels.list', () => client.uploadsPlaylist(channel))) ??
    null;
  if (!playlist) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `YouTube channel ${channel} was not found (channels.list returned no channel)`,
    );
  }
  let pageToken: string | undefined = saved?.pageToken;
  for (;;) {
    const page = await request('playlistItems.list', () =>
      client.playlistItems(playlist, pageToken),
    );
    const inWindow = page.items.filter(
      (item) => item.videoPublishedAt !== undefined && item.videoPublishedAt >= after,
    );
    // A placeholder (deleted or private video) has no publish time: it is gone either way.
    const records: SyncRecord[] = page.items
      .filter((item) => item.videoPublishedAt === undefined)
      .map((item) => goneRecord(item.videoId));
    if (inWindow.length > 0) {
      const ids = inWindow.map((item) => item.videoId);
      const videos = await request('videos.list', () => client.videos(ids));
      records.push(...withGone(ids, videos.map(videoRecord)));
    }
    // The playlist is newest first, but not strictly: only a page with nothing inside the
    // window ends the sweep, so one late-sorted video does not cut it short.
    const more = page.nextPageToken !== undefined && inWindow.length > 0;
    yield {
      records,
      cursor: more ? ({ after, playlist, pageToken: page.nextPageToken } as WindowCursor) : null,
    };
    if (!more) return;
    pageToken = page.nextPageToken;
  }
}

/** Looks ids up 50 at a time; an id the API does not return is gone. */
async function* readVideos(
  client: YouTubeClient,
  request: YouTubeRequester,
  keys: readonly string[],
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  for (const ids of batches([...new Set(keys)], MAX_PAGE)) {
    const videos = await request('videos.list', () => client.videos(ids));
    yield { records: withGone(ids, videos.map(videoRecord)), cursor: readOptions.cursor };
  }
}

function withGone(ids: readonly string[], records: SyncRecord[]): SyncRecord[] {
  const found = new Set(records.map((record) => record.key));
  return [...records, ...ids.filter((id) => !found.has(id)).map(goneRecord)];
}
