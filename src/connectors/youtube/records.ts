import type { SyncRecord } from '../../model/index.js';
import type { YouTubeVideo } from './client.js';

/** A video as a record: its id is the key; counts are numbers, times are Dates. */
export function videoRecord(video: YouTubeVideo): SyncRecord {
  return {
    key: video.id,
    fields: {
      title: video.title || '(untitled video)',
      description: video.description,
      url: `https://www.youtube.com/watch?v=${video.id}`,
      publishedAt: video.publishedAt ? new Date(video.publishedAt) : null,
      channelId: video.channelId,
      views: video.viewCount ?? null,
    },
  };
}

/** A video the API no longer returns (deleted, or made private). */
export function goneRecord(videoId: string): SyncRecord {
  return { key: videoId, fields: {}, deleted: true };
}

/** Splits ids into the API's batches of at most `size`, keeping every id. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}
