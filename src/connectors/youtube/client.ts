import { importPeer } from '../support/index.js';

/** A playlist item as the connector reads it (snippet + contentDetails). */
export interface YouTubePlaylistItem {
  readonly videoId: string;
  /** The video's publish time; absent for a deleted or private video's placeholder. */
  readonly videoPublishedAt: string | undefined;
}

export interface YouTubePlaylistPage {
  readonly items: readonly YouTubePlaylistItem[];
  readonly nextPageToken: string | undefined;
}

export interface YouTubeVideo {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly publishedAt: string;
  readonly channelId: string;
  /** `undefined` when the owner hides the count. */
  readonly viewCount: number | undefined;
}

/** The YouTube Data API v3 calls the source makes; tests may pass an in-memory one. */
export interface YouTubeClient {
  /** The uploads playlist of a channel given by `UC…` id or `@handle`; null when none matches. */
  uploadsPlaylist(channel: string): Promise<string | null>;
  playlistItems(playlistId: string, pageToken: string | undefined): Promise<YouTubePlaylistPage>;
  /** At most 50 ids (the API's cap); ids of deleted or private videos are left out. */
  videos(ids: readonly string[]): Promise<readonly YouTubeVideo[]>;
}

export interface YouTubeClientOptions {
  readonly apiKey: string;
  /** `https://youtube.googleapis.com/` or a fake's URL. */
  readonly rootUrl: string;
  readonly timeoutMs: number;
}

/** The API's cap on `maxResults` and on ids per videos.list call. */
export const MAX_PAGE = 50;

/**
 * Binds the official `@googleapis/youtube` SDK (loaded on first use). Its own retry is off:
 * keepsync's retry classifies Google's error reasons (quota vs rate vs key) before retrying.
 */
export async function createYouTubeClient(options: YouTubeClientOptions): Promise<YouTubeClient> {
  const { youtube } = await importPeer(
    '@googleapis/youtube',
    'youtube',
    () => import('@googleapis/youtube'),
  );
  const api = youtube({
    version: 'v3',
    auth: options.apiKey,
    rootUrl: options.rootUrl,
    timeout: options.timeoutMs,
    retry: false,
  });
  return {
    async uploadsPlaylist(channel) {
      const byId = /^UC[\w-]{22}$/.test(channel);
      const { data } = await api.channels.list({
        part: ['contentDetails'],
        ...(byId ? { id: [channel] } : { forHandle: channel }),
      });
      return data.items?.[0]?.contentDetails?.relatedPlaylists?.uploads ?? null;
    },
    async playlistItems(playlistId, pageToken) {
      const { data } = await api.playlistItems.list({
        part: ['contentDetails'],
        playlistId,
        maxResults: MAX_PAGE,
        ...(pageToken ? { pageToken } : {}),
      });
      return {
        items: (data.items ?? []).flatMap((item) => {
          const videoId = item.contentDetails?.videoId;
          return videoId
            ? [{ videoId, videoPublishedAt: item.contentDetails?.videoPublishedAt ?? undefined }]
            : [];
        }),
        nextPageToken: data.nextPageToken ?? undefined,
      };
    },
    async videos(ids) {
      const { data } = await api.videos.list({
        part: ['snippet', 'statistics'],
        // maxResults does not combine with id; the id list itself is capped at 50.
        id: [...ids],
      });
      return (data.items ?? []).map((video) => ({
        id: video.id ?? '',
        title: video.snippet?.title ?? '',
        description: video.snippet?.description ?? '',
        publishedAt: video.snippet?.publishedAt ?? '',
        channelId: video.snippet?.channelId ?? '',
        viewCount:
          video.statistics?.viewCount == null ? undefined : Number(video.statistics.viewCount),
      }));
    },
  };
}
