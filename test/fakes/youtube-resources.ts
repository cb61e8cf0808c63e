import { etagOf } from './youtube-protocol.js';

export interface FakeVideo {
  id: string;
  channelId: string;
  title: string;
  description: string;
  publishedAt: string;
  viewCount: number;
  /** Deleted or made private: absent from videos.list, a placeholder item in the playlist. */
  gone?: 'deleted' | 'private';
}

export interface FakeChannel {
  id: string;
  /** With the leading `@`. */
  handle: string;
  /** Video ids, newest first, as the uploads playlist lists them. */
  uploads: string[];
}

/** A channel `UC…` has the uploads playlist `UU…`. */
export function uploadsOf(channelId: string): string {
  return `UU${channelId.slice(2)}`;
}

/** One item of a channel's uploads playlist, with the parts asked for. */
export function playlistItemOf(
  channel: FakeChannel,
  video: FakeVideo,
  position: number,
  parts: readonly string[],
) {
  // A deleted or private video stays listed as a placeholder without its publish time.
  const title =
    video.gone === 'deleted' ? 'Deleted video' : video.gone ? 'Private video' : video.title;
  return {
    kind: 'youtube#playlistItem',
    etag: etagOf(`${video.id}${title}`),
    id: Buffer.from(`${uploadsOf(channel.id)}.${video.id}`).toString('base64url'),
    ...(parts.includes('snippet')
      ? {
          snippet: {
            publishedAt: video.publishedAt,
            channelId: channel.id,
            title,
            description: video.gone ? `This video is ${video.gone}.` : video.description,
            channelTitle: channel.handle.slice(1),
            playlistId: uploadsOf(channel.id),
            position,
            resourceId: { kind: 'youtube#video', videoId: video.id },
          },
        }
      : {}),
    ...(parts.includes('contentDetails')
      ? {
          contentDetails: {
            videoId: video.id,
            ...(video.gone ? {} : { videoPublishedAt: video.publishedAt }),
          },
        }
      : {}),
  };
}
