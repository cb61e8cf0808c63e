import { randomUUID } from 'node:crypto';
import type { Entry, EntrySkeletonType } from 'contentful';
import { FakeContentfulManagement } from './contentful-management.js';
import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';

export interface FakeContentfulEntry {
  id: string;
  contentType: string;
  /** field -> locale -> value, as the Sync API returns them. */
  fields: Record<string, Record<string, unknown>>;
  createdAt: string;
  updatedAt: string;
  revision: number;
}

export interface FakeContentfulOptions {
  space?: string;
  environment?: string;
  /** Delivery tokens that authenticate. @default ['cda_test'] */
  tokens?: readonly string[];
  /** The CDN allows 55 uncached requests per second. */
  rateLimit?: RateLimit;
  /** Management (CMA) tokens that authenticate. @default ['cma_test'] */
  managementTokens?: readonly string[];
  /** The environment's locales; the first is the default. @default ['en-US', 'de-DE'] */
  locales?: readonly string[];
  /** The CMA allows 7 (Community) or 10 requests per second. */
  managementRateLimit?: RateLimit;
}

/** Contentful's error body: `{ sys: { type: 'Error', id }, message, requestId }`. */
function contentfulError(status: number, _code: string, message: string): unknown {
  const [id, text] =
    status === 401
      ? ['AccessTokenInvalid', 'The access token you sent could not be found or is invalid.']
      : status === 429
        ? [
            'RateLimitExceeded',
            'You have exceeded the rate limit of the Organization this Space belongs to by making too many API requests within a short timespan. Please wait a moment before trying the request again.',
          ]
        : status === 404
          ? ['NotFound', 'The resource could not be found.']
          : ['ServerError', message];
  return { sys: { type: 'Error', id }, message: text, requestId: randomUUID() };
}

type Change = { seq: number; id: string; deleted: boolean };

/**
 * A fake of Contentful: the Content Delivery API Sync endpoint on `server`, and the Content
 * Management API on `management` (its own host and rate limit, as in Contentful); what the
 * CMA publishes or unpublishes reaches the delivery side's sync.
 *
 * The delivery side: its Sync endpoint: `initial` syncs of every published
 * entry, `nextPageUrl`/`nextSyncUrl` tokens, deltas of what changed since a token with
 * deletions as `DeletedEntry` (collapsed per entry), `limit` up to 1000, Contentful's error
 * bodies, and 429 with `X-Contentful-RateLimit-Reset`. Entries are typed with the SDK's models.
 */
export class FakeContentful {
  readonly server: FakeServer;
  readonly management: FakeContentfulManagement;
  readonly entries = new Map<string, FakeContentfulEntry>();
  readonly space: string;
  readonly environment: string;
  readonly #tokens: Set<string>;
  readonly #changes: Change[] = [];
  #seq = 0;

  constructor(options: FakeContentfulOptions = {}) {
    this.space = options.space ?? 'space1';
    this.environment = options.environment ?? 'master';
    this.#tokens = new Set(options.tokens ?? ['cda_test']);
    this.server = new FakeServer({
      name: 'Contentful',
      errorBody: contentfulError,
      rateLimit: options.rateLimit,
      rateLimited: {
        status: 429,
        code: 'RateLimitExceeded',
        message: 'rate limited',
        headers: (seconds) => ({ 'x-contentful-ratelimit-reset': String(seconds) }),
      },
      isValidToken: (token, request) => {
        const given = token ?? request.query.get('access_token') ?? undefined;
        return given !== undefined && this.#tokens.has(given);
      },
    });
    this.server.route('GET', `/spaces/:space/environments/:env/sync`, (request) =>
      this.#sync(request),
    );
    this.management = new FakeContentfulManagement({
      space: this.space,
      environment: this.environment,
      tokens: options.managementTokens ?? ['cma_test'],
      locales: options.locales ?? ['en-US', 'de-DE'],
      rateLimit: options.managementRateLimit,
      onPublished: (entry) => this.publish(entry.id, entry.contentType, entry.fields),
      onUnpublished: (id) => this.unpublish(id),
    });
  }

  async start(): Promise<this> {
    await this.server.start();
    await this.management.server.start();
    return this;
  }

  /** The management API's base URL (api.contentful.com in the service). */
  get managementUrl(): string {
    return this.management.server.url;
  }

  get url(): string {
    return this.server.url;
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.management.server.close();
  }

  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** Publishes an entry (new or a new revision). */
  publish(id: string, contentType: string, fields: Record<string, Record<string, unknown>>): void {
    const now = new Date().toISOString();
    const previous = this.entries.get(id);
    this.entries.set(id, {
      id,
      contentType,
      fields,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      revision: (previous?.revision ?? 0) + 1,
    });
    this.#changes.push({ seq: ++this.#seq, id, deleted: false });
  }

  unpublish(id: string): void {
    this.entries.delete(id);
    this.#changes.push({ seq: ++this.#seq, id, deleted: true });
  }

  #sync({ params, query }: FakeRequest): FakeResponse {
    if (params.space !== this.space || params.env !== this.environment) {
      return { status: 404, body: contentfulError(404, '', '') };
    }
    const token = query.get('sync_token');
    let state: SyncState;
    if (query.get('initial') === 'true') {
      const limit = Number(query.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        return bad('The limit parameter should be an integer between 1 and 1000.');
      }
      state = { from: -1, until: this.#seq, offset: 0, limit };
    } else if (token) {
      // The token carries the pass and its page size, as Contentful's do.
      const decoded = decodeToken(token);
      if (!decoded) return bad('The sync token is invalid.');
      state = decoded.offset < 0 ? { ...decoded, until: this.#seq, offset: 0 } : decoded;
    } else return bad('Either initial or sync_token must be given.');
    const limit = state.limit;
    const items = this.#itemsBetween(state.from, state.until);
    const slice = items.slice(state.offset, state.offset + limit);
    const base = `${this.url}/spaces/${this.space}/environments/${this.environment}/sync`;
    const more = state.offset + limit < items.length;
    const next = more
      ? {
          nextPageUrl: `${base}?sync_token=${encodeToken({ ...state, offset: state.offset + limit })}`,
        }
      : {
          nextSyncUrl: `${base}?sync_token=${encodeToken({ ...state, from: state.until, offset: -1 })}`,
        };
    return { status: 200, body: { sys: { type: 'Array' }, items: slice, ...next } };
  }

  /** The state of every entry changed in (from, until]: the latest revision, or its deletion. */
  #itemsBetween(from: number, until: number): unknown[] {
    const latest = new Map<string, Change>();
    for (const change of this.#changes) {
      if (change.seq > from && change.seq <= until) latest.set(change.id, change);
    }
    return [...latest.values()]
      .sort((a, b) => a.seq - b.seq)
      .flatMap((change): unknown[] => {
        const entry = this.entries.get(change.id);
        if (change.deleted || !entry) {
          // An initial sync lists only what exists; a delta says what went away.
          return from < 0 ? [] : [this.#deleted(change.id)];
        }
        return [this.#entryJson(entry)];
      });
  }

  #entryJson(entry: FakeContentfulEntry): Entry<EntrySkeletonType, 'WITH_ALL_LOCALES'> {
    const link = (type: string, id: string) => ({
      sys: { type: 'Link' as const, linkType: type, id },
    });
    return {
      metadata: { tags: [], concepts: [] },
      sys: {
        id: entry.id,
        type: 'Entry',
        createdAt: entry.createdAt,
        updatedAt: entry.updatedAt,
        revision: entry.revision,
        publishedVersion: entry.revision * 2,
        space: link('Space', this.space) as never,
        environment: link('Environment', this.environment) as never,
        contentType: link('ContentType', entry.contentType) as never,
        locale: undefined as never,
      },
      fields: entry.fields as never,
    } as Entry<EntrySkeletonType, 'WITH_ALL_LOCALES'>;
  }

  #deleted(id: string) {
    const now = new Date().toISOString();
    return {
      sys: {
        id,
        type: 'DeletedEntry',
        createdAt: now,
        updatedAt: now,
        deletedAt: now,
        revision: 1,
        space: { sys: { type: 'Link', linkType: 'Space', id: this.space } },
        environment: { sys: { type: 'Link', linkType: 'Environment', id: this.environment } },
      },
    };
  }
}

function bad(message: string): FakeResponse {
  return {
    status: 400,
    body: { sys: { type: 'Error', id: 'BadRequest' }, message, requestId: randomUUID() },
  };
}

interface SyncState {
  from: number;
  until: number;
  offset: number;
  limit: number;
}

function encodeToken(state: SyncState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeToken(token: string): SyncState | null {
  try {
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return ['from', 'until', 'offset', 'limit'].every((name) => typeof state[name] === 'number')
      ? (state as unknown as SyncState)
      : null;
  } catch {
    return null;
  }
}
