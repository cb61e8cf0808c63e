import { importPeer } from '../support/index.js';
import type { LocalizedFields } from './encode.js';

/** What the destination reads of an entry. */
export interface ManagementEntry {
  readonly sys: {
    readonly id: string;
    readonly version: number;
    readonly publishedVersion?: number;
    readonly archivedVersion?: number;
    readonly updatedAt?: string;
    readonly contentType?: { readonly sys: { readonly id: string } };
  };
  readonly fields: LocalizedFields;
}

export interface ManagementLocale {
  readonly code: string;
  readonly default: boolean;
}

export interface ManagementContentType {
  readonly fields: readonly { readonly id: string; readonly type: string }[];
}

/** A query of the CMA entries collection (`order`, `skip`, `limit` up to 1000, filters). */
export type EntryQuery = Readonly<Record<string, string | number>>;

/** One page of the CMA entries collection. */
export interface ManagementEntryPage {
  readonly items: readonly ManagementEntry[];
  readonly total: number;
  readonly skip: number;
  readonly limit: number;
}

/** The CMA calls the destination and the management source make. */
export interface ContentfulManagementClient {
  locales(): Promise<readonly ManagementLocale[]>;
  contentType(id: string): Promise<ManagementContentType>;
  /** Entries by id (at most 1000, within the URI length limit). */
  entries(ids: readonly string[]): Promise<readonly ManagementEntry[]>;
  getEntry(id: string): Promise<ManagementEntry>;
  /** One page of `GET /entries`: drafts, changed, published and archived entries alike. */
  listEntries(query: EntryQuery): Promise<ManagementEntryPage>;
  /** `PUT` with `X-Contentful-Content-Type`: creates the entry at this id. */
  createEntry(id: string, contentType: string, fields: LocalizedFields): Promise<ManagementEntry>;
  /** `PUT` with `X-Contentful-Version`: replaces the entry if `version` is still current. */
  updateEntry(id: string, version: number, fields: LocalizedFields): Promise<ManagementEntry>;
  publishEntry(id: string, version: number): Promise<ManagementEntry>;
  unpublishEntry(id: string): Promise<ManagementEntry>;
  archiveEntry(id: string): Promise<ManagementEntry>;
  unarchiveEntry(id: string): Promise<ManagementEntry>;
  deleteEntry(id: string): Promise<void>;
}

/** A CMA failure with what retrying needs: status, Contentful's error id and details, the reset wait. */
export class ContentfulHttpError extends Error {
  readonly status: number;
  /** `sys.id` of Contentful's error body: `VersionMismatch`, `ValidationFailed`, … */
  readonly errorId: string;
  readonly details: unknown;
  /** From `X-Contentful-RateLimit-Reset` (seconds) on a 429. */
  readonly retryAfterMs: number | undefined;
  /** A network code (ECONNRESET, ETIMEDOUT) when no answer arrived. */
  readonly code: string | undefined;

  constructor(fields: {
    status: number;
    errorId: string;
    message: string;
    details: unknown;
    retryAfterMs: number | undefined;
    code: string | undefined;
  }) {
    super(fields.message);
    this.name = 'ContentfulHttpError';
    this.status = fields.status;
    this.errorId = fields.errorId;
    this.details = fields.details;
    this.retryAfterMs = fields.retryAfterMs;
    this.code = fields.code;
  }
}

export interface ManagementClientOptions {
  readonly space: string;
  readonly environment: string;
  readonly accessToken: string;
  /** `https://api.contentful.com` (api.eu.contentful.com, or a fake's URL). */
  readonly baseUrl: string;
  readonly timeoutMs: number;
}

interface AxiosLikeError {
  code?: string;
  message?: string;
  response?: {
    status?: number;
    headers?: Record<string, unknown>;
    data?: { sys?: { id?: string }; message?: string; details?: unknown };
  };
}

/**
 * Binds the official `contentful-management` plain client (loaded on first use). Its own retry
 * is off: its errors drop the response headers, so keepsync's retry (src/net) could not see
 * `X-Contentful-RateLimit-Reset` or pause the credential's limiter. The axios error is turned
 * into a ContentfulHttpError before the SDK's handler (which passes foreign errors through).
 */
export async function createManagementClient(
  options: ManagementClientOptions,
): Promise<ContentfulManagementClient> {
  const sdk = await importPeer(
    'contentful-management',
    'contentful',
    () => import('contentful-management'),
  );
  const url = new URL(options.baseUrl);
  const client = sdk.createClient(
    {
      accessToken: options.accessToken,
      host: url.host,
      insecure: url.protocol === 'http:',
      basePath: url.pathname.replace(/\/+$/, ''),
      timeout: options.timeoutMs,
      retryOnError: false,
      onError: (error: AxiosLikeError) => Promise.reject(toHttpError(error)),
    },
    { type: 'plain', defaults: { spaceId: options.space, environmentId: options.environment } },
  );
  const asEntry = (entry: unknown) => entry as ManagementEntry;
  return {
    async locales() {
      const page = await client.locale.getMany({ query: { limit: 1000 } });
      return page.items.map((item) => ({ code: item.code, default: item.default }));
    },
    async contentType(id) {
      const type = await client.contentType.get({ contentTypeId: id });
      return { fields: type.fields.map((field) => ({ id: field.id, type: field.type })) };
    },
    async entries(ids) {
      const page = await client.entry.getMany({
        query: { 'sys.id[in]': ids.join(','), limit: 1000 },
      });
      return page.items.map(asEntry);
    },
    getEntry: async (id) => asEntry(await client.entry.get({ entryId: id })),
    async listEntries(query) {
      const page = await client.entry.getMany({ query: { ...query } });
      return {
        items: page.items.map(asEntry),
        total: page.total,
        skip: page.skip,
        limit: page.limit,
      };
    },
    createEntry: async (id, contentType, fields) =>
      asEntry(
        await client.entry.createWithId({ entryId: id, contentTypeId: contentType }, { fields }),
      ),
    updateEntry: async (id, version, fields) =>
      asEntry(await client.entry.update({ entryId: id }, { sys: { version }, fields } as never)),
    publishEntry: async (id, version) =>
      asEntry(await client.entry.publish({ entryId: id }, { sys: { version } } as never)),
    unpublishEntry: async (id) => asEntry(await client.entry.unpublish({ entryId: id })),
    archiveEntry: async (id) => asEntry(await client.entry.archive({ entryId: id })),
    unarchiveEntry: async (id) => asEntry(await client.entry.unarchive({ entryId: id })),
    async deleteEntry(id) {
      await client.entry.delete({ entryId: id });
    },
  };
}

function toHttpError(error: AxiosLikeError): ContentfulHttpError {
  const response = error.response;
  const status = Number(response?.status ?? 0) || 0;
  const reset = Number(response?.headers?.['x-contentful-ratelimit-reset']);
  const data = response?.data && typeof response.data === 'object' ? response.data : undefined;
  return new ContentfulHttpError({
    status,
    errorId: data?.sys?.id ?? '',
    message: data?.message ?? error.message ?? 'no answer',
    details: data?.details,
    retryAfterMs: status === 429 && Number.isFinite(reset) ? reset * 1000 : undefined,
    code: error.code,
  });
}
