import { importPeer } from '../support/index.js';

/** A sync item: an entry (fields in every locale), a deleted entry, or an asset. */
export interface ContentfulSyncItem {
  readonly sys: {
    readonly id: string;
    readonly type: string;
    readonly updatedAt?: string;
    readonly deletedAt?: string;
    readonly contentType?: { readonly sys: { readonly id: string } };
  };
  readonly fields?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface ContentfulSyncPage {
  readonly items: readonly ContentfulSyncItem[];
  /** Set while the pass has more pages. */
  readonly nextPageToken: string | undefined;
  /** Set on the last page: where the next pass starts. */
  readonly nextSyncToken: string | undefined;
}

/** The delivery calls the source makes; tests may pass an in-memory implementation. */
export interface ContentfulDeliveryClient {
  sync(
    query: { initial: true; limit: number } | { nextPageToken: string } | { nextSyncToken: string },
  ): Promise<ContentfulSyncPage>;
}

export interface DeliveryClientOptions {
  readonly space: string;
  readonly environment: string;
  readonly accessToken: string;
  /** `https://cdn.contentful.com` (or preview.contentful.com, or a fake's URL). */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  /** Told of every wait the SDK makes before retrying a 429 or a 5xx. */
  readonly onRetry: (waitMs: number, rateLimited: boolean) => void;
}

/**
 * Binds the official `contentful` delivery SDK (loaded on first use). Its own retry is kept:
 * it is the one that reads Contentful's `X-Contentful-RateLimit-Reset` (its errors drop headers).
 */
export async function createDeliveryClient(
  options: DeliveryClientOptions,
): Promise<ContentfulDeliveryClient> {
  const contentful = await importPeer('contentful', 'contentful', () => import('contentful'));
  const url = new URL(options.baseUrl);
  const client = contentful.createClient({
    space: options.space,
    environment: options.environment,
    accessToken: options.accessToken,
    host: url.host,
    insecure: url.protocol === 'http:',
    basePath: url.pathname.replace(/\/+$/, ''),
    timeout: options.timeoutMs,
    retryOnError: true,
    retryLimit: options.retries,
    logHandler: (level, data) => {
      const text = typeof data === 'string' ? data : '';
      const wait = /Waiting for (\d+) ms before retrying/.exec(text);
      if (level === 'warning' && wait)
        options.onRetry(Number(wait[1]), text.startsWith('Rate limit'));
    },
  });
  return {
    async sync(query) {
      const page = await client.sync(
        'initial' in query
          ? { initial: true, limit: query.limit }
          : (query as { nextPageToken: string }),
        { paginate: false },
      );
      const items = [...page.entries, ...page.deletedEntries] as unknown as ContentfulSyncItem[];
      return { items, nextPageToken: page.nextPageToken, nextSyncToken: page.nextSyncToken };
    },
  };
}
