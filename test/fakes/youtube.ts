import { createHash } from 'node:crypto';
import type { youtube_v3 } from '@googleapis/youtube';
import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';
import { FakeKeyedService } from './fake-service.js';
import {
  decodeToken,
  encodeToken,
  etagOf,
  fail,
  googleBody,
  listParam,
  maxResultsOf,
  partsOf,
  QUOTA_MESSAGE,
  RPC_STATUS,
} from './youtube-protocol.js';
import {
  type FakeChannel,
  type FakeVideo,
  playlistItemOf,
  uploadsOf,
} from './youtube-resources.js';

export { type FakeChannel, type FakeVideo, uploadsOf } from './youtube-resources.js';

export interface FakeYouTubeOptions {
  /** API keys that authenticate. @default ['yt_key'] */
  keys?: readonly string[];
  /** Units per day for each key's project. @default 10_000 */
  dailyQuota?: number;
  rateLimit?: RateLimit;
}

/** Quota units per call of each method (the official cost table: every list call costs 1). */
export const QUOTA_COST: Readonly<Record<string, number>> = {
  'channels.list': 1,
  'playlistItems.list': 1,
  'videos.list': 1,
};

/**
 * A fake of the YouTube Data API v3 read calls a channel sync makes: channels.list by id or
 * `forHandle`, playlistItems.list of the uploads playlist (newest first, `maxResults` 0-50,
 * default 5, opaque page tokens), videos.list by up to 50 ids (absent ids are left out, as
 * deleted or private videos are). Errors use Google's envelope: 400 keyInvalid, 403
 * quotaExceeded once a key's project has spent its daily units (every call costs at least 1,
 * invalid ones too), 403 rateLimitExceeded when too fast, 404 playlistNotFound.
 */
export class FakeYouTube extends FakeKeyedService {
  readonly server: FakeServer;
  readonly channels = new Map<string, FakeChannel>();
  readonly videos = new Map<string, FakeVideo>();
  /** Units spent today per key. */
  readonly quotaUsed = new Map<string, number>();
  readonly #dailyQuota: number;
  readonly #quotaOf = new Map<string, number>();
  #videoSeq = 0;
  /** Runs after a playlistItems page is served, before the answer (a video deleted mid-sync). */
  onPlaylistPage: ((videoIds: readonly string[]) => void) | undefined;

  constructor(options: FakeYouTubeOptions = {}) {
    super(options.keys ?? ['yt_key']);
    this.#dailyQuota = options.dailyQuota ?? 10_000;
    this.server = new FakeServer({
      name: 'YouTube',
      errorBody: (status, code, message) =>
        googleBody({
          status,
          reason: code === 'rateLimitExceeded' ? code : status >= 500 ? 'backendError' : code,
          domain: code === 'rateLimitExceeded' ? 'youtube.quota' : 'global',
          message,
          rpcStatus: RPC_STATUS[status] ?? 'UNKNOWN',
        }),
      rateLimited: {
        status: 403,
        code: 'rateLimitExceeded',
        message: 'The request cannot be completed because you have exceeded your quota.',
      },
      rateLimit: options.rateLimit,
    });
    this.server.route('GET', '/youtube/v3/channels', (request) =>
      this.#metered(request, 'channels.list', () => this.#channels(request)),
    );
    this.server.route('GET', '/youtube/v3/playlistItems', (request) =>
      this.#metered(request, 'playlistItems.list', () => this.#playlistItems(request)),
    );
    this.server.route('GET', '/youtube/v3/videos', (request) =>
      this.#metered(request, 'videos.list', () => this.#videosList(request)),
    );
  }

  /** Gives one key's project a different daily allocation. */
  setDailyQuota(key: string, units: number): void {
    this.#quotaOf.set(key, units);
  }

  /** Midnight Pacific: every project's units are back. */
  resetQuota(): void {
    this.quotaUsed.clear();
  }

  addChannel(id: string, handle: string): FakeChannel {
    const channel: FakeChannel = { id, handle, uploads: [] };
    this.channels.set(id, channel);
    return channel;
  }

  /** Publishes a video; it goes to the top of the channel's uploads. */
  addVideo(
    channelId: string,
    video: { title: string; description?: string; publishedAt: string; viewCount?: number },
  ): FakeVideo {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    const id = createHash('sha1')
      .update(`video${++this.#videoSeq}`)
      .digest('base64url')
      .slice(0, 11);
    const stored: FakeVideo = {
      id,
      channelId,
      title: video.title,
      description: video.description ?? '',
      publishedAt: video.publishedAt,
      viewCount: video.viewCount ?? 0,
    };
    this.videos.set(id, stored);
    // Newest first; a back-dated upload still sorts by its publish time.
    channel.uploads.push(id);
    channel.uploads.sort((a, b) =>
      this.videos.get(b)!.publishedAt.localeCompare(this.videos.get(a)!.publishedAt),
    );
    return stored;
  }

  /** Deletes a video: videos.list leaves it out; the playlist keeps a "Deleted video" item. */
  deleteVideo(id: string, gone: 'deleted' | 'private' = 'deleted'): void {
    const video = this.videos.get(id);
    if (video) video.gone = gone;
  }

  #metered(request: FakeRequest, method: string, answer: () => FakeResponse): FakeResponse {
    const key = request.query.get('key');
    if (!key) {
      return fail({
        status: 403,
        reason: 'forbidden',
        domain: 'global',
        message:
          'Method doesn\u2019t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.',
      });
    }
    if (!this.hasKey(key)) {
      return fail({
        status: 400,
        reason: 'keyInvalid',
        domain: 'usageLimits',
        message: 'API key not valid. Please pass a valid API key.',
      });
    }
    const used = this.quotaUsed.get(key) ?? 0;
    const cost = QUOTA_COST[method] ?? 1;
    if (used + cost > (this.#quotaOf.get(key) ?? this.#dailyQuota)) {
      return fail({
        status: 403,
        reason: 'quotaExceeded',
        domain: 'youtube.quota',
        message: QUOTA_MESSAGE,
      });
    }
    this.quotaUsed.set(key, used + cost);
    return answer();
  }

  #channels(request: FakeRequest): FakeResponse {
    const parts = partsOf(request, ['id', 'snippet', 'contentDetails', 'statistics']);
    if (!Array.isArray(parts)) return parts;
    const ids = request.query.has('id') ? listParam(request.query, 'id') : null;
    const handle = request.query.get('forHandle');
    let found: FakeChannel[] = [];
    if (ids !== null) {
      found = ids
        .map((id) => this.channels.get(id))
        .filter((channel): channel is FakeChannel => channel !== undefined);
    } else if (handle !== null) {
      const wanted = (handle.startsWith('@') ? handle : `@${handle}`).toLowerCase();
      found = [...this.channels.values()].filter(
        (channel) => channel.handle.toLowerCase() === wanted,
      );
    } else {
      return fail({
        status: 400,
        reason: 'missingRequiredParameter',
        domain: 'youtube.parameter',
        message:
          'No filter selected. Expected one of: forUsername, mine, forHandle, id, managedByMe, categoryId, mySubscribers',
      });
    }
    return {
      status: 200,
      body: channelList({
        kind: 'youtube#channelListResponse',
        etag: etagOf(found.map((channel) => channel.id)),
        pageInfo: { totalResults: found.length, resultsPerPage: 5 },
        // A handle or id that matches nothing is an empty list, not a 404.
        ...(found.length > 0
          ? {
              items: found.map((channel) => ({
                kind: 'youtube#channel',
                etag: etagOf(channel.id),
                id: channel.id,
                ...(parts.includes('snippet')
                  ? {
                      snippet: {
                        title: channel.handle.slice(1),
                        customUrl: channel.handle.toLowerCase(),
                      },
                    }
                  : {}),
                ...(parts.includes('contentDetails')
                  ? {
                      contentDetails: {
                        relatedPlaylists: { likes: '', uploads: uploadsOf(channel.id) },
                      },
                    }
                  : {}),
              })),
            }
          : {}),
      }),
    };
  }

  #playlistItems(request: FakeRequest): FakeResponse {
    const parts = partsOf(request, ['id', 'snippet', 'contentDetails', 'status']);
    if (!Array.isArray(parts)) return parts;
    const maxResults = maxResultsOf(request);
    if (typeof maxResults !== 'number') return maxResults;
    const playlistId = request.query.get('playlistId') ?? '';
    const channel = [...this.channels.values()].find((c) => uploadsOf(c.id) === playlistId);
    if (!channel) {
      return fail({
        status: 404,
        reason: 'playlistNotFound',
        domain: 'youtube.playlistItem',
        message:
          'The playlist identified with the request\u2019s <code>playlistId</code> parameter cannot be found.',
        location: 'playlistId',
      });
    }
    const token = request.query.get('pageToken');
    const offset = token === null ? 0 : decodeToken(token);
    if (offset === null) {
      return fail({
        status: 400,
        reason: 'invalidPageToken',
        domain: 'youtube.parameter',
        message: 'The request specifies an invalid page token.',
        location: 'pageToken',
      });
    }
    const ids = channel.uploads.slice(offset, offset + maxResults);
    this.onPlaylistPage?.(ids);
    const next = offset + maxResults < channel.uploads.length ? offset + maxResults : null;
    return {
      status: 200,
      body: playlistItemList({
        kind: 'youtube#playlistItemListResponse',
        etag: etagOf(ids),
        ...(next !== null ? { nextPageToken: encodeToken(next) } : {}),
        ...(offset > 0 ? { prevPageToken: encodeToken(Math.max(0, offset - maxResults)) } : {}),
        items: ids.map((id, index) =>
          playlistItemOf(channel, this.videos.get(id)!, offset + index, parts),
        ),
        pageInfo: { totalResults: channel.uploads.length, resultsPerPage: maxResults },
      }),
    };
  }

  #videosList(request: FakeRequest): FakeResponse {
    const parts = partsOf(request, ['id', 'snippet', 'statistics', 'contentDetails', 'status']);
    if (!Array.isArray(parts)) return parts;
    const ids = listParam(request.query, 'id');
    if (ids.length === 0) {
      return fail({
        status: 400,
        reason: 'missingRequiredParameter',
        domain: 'youtube.parameter',
        message: 'No filter selected. Expected one of: chart, id, myRating',
      });
    }
    if (ids.length > 50) {
      return fail({
        status: 400,
        reason: 'invalidParameter',
        domain: 'youtube.parameter',
        message: 'The request specifies more than 50 video ids in the id parameter.',
        location: 'id',
      });
    }
    const found = ids
      .map((id) => this.videos.get(id))
      .filter((video): video is FakeVideo => video !== undefined && !video.gone);
    return {
      status: 200,
      body: videoList({
        kind: 'youtube#videoListResponse',
        etag: etagOf(found.map((video) => `${video.id}${video.viewCount}`)),
        items: found.map((video) => ({
          kind: 'youtube#video',
          etag: etagOf(`${video.id}${video.title}${video.viewCount}`),
          id: video.id,
          ...(parts.includes('snippet')
            ? {
                snippet: {
                  publishedAt: video.publishedAt,
                  channelId: video.channelId,
                  title: video.title,
                  description: video.description,
                  channelTitle: this.channels.get(video.channelId)?.handle.slice(1) ?? '',
                  categoryId: '22',
                  liveBroadcastContent: 'none',
                },
              }
            : {}),
          ...(parts.includes('statistics')
            ? {
                // Counts are strings in the API (uint64 in the discovery document).
                statistics: {
                  viewCount: String(video.viewCount),
                  likeCount: '0',
                  favoriteCount: '0',
                  commentCount: '0',
                },
              }
            : {}),
        })),
        pageInfo: { totalResults: found.length, resultsPerPage: found.length },
      }),
    };
  }
}

// The SDK's types are generated from Google's discovery document for YouTube Data v3: each
// answer is checked against them when the fakes compile, so the fake's shape cannot drift.
const channelList = (body: youtube_v3.Schema$ChannelListResponse) => body;
const playlistItemList = (body: youtube_v3.Schema$PlaylistItemListResponse) => body;
const videoList = (body: youtube_v3.Schema$VideoListResponse) => body;
