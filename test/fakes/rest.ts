import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';
import { FakeService } from './fake-service.js';

export interface FakeRestItem {
  id: string;
  title: string;
  updated_at: string;
  [field: string]: unknown;
}

export type FakeRestPaging = 'page' | 'link' | 'cursor' | 'hal';

export interface FakeRestOptions {
  /** Bearer tokens that authenticate. @default ['rest_test'] */
  tokens?: readonly string[];
  /** @default 'page' */
  paging?: FakeRestPaging;
  /** Items per page (the `per_page` asked for, capped at 100). @default 25 */
  pageSize?: number;
  rateLimit?: RateLimit;
}

/**
 * A typical JSON API without a connector of its own: `GET /v1/items` ordered by `updated_at`
 * then `id`, `updated_since` (inclusive), paged by page number, Link header, opaque cursor or
 * HAL `_links.next`; `PUT`/`PATCH`/`DELETE /v1/items/{id}` with a 422 naming the field;
 * bearer auth, `{ error: { code, message } }` bodies, 429 with Retry-After.
 */
export class FakeRest extends FakeService {
  readonly server: FakeServer;
  readonly items = new Map<string, FakeRestItem>();
  readonly #tokens: Set<string>;
  readonly #paging: FakeRestPaging;
  readonly #pageSize: number;
  #clock = Date.UTC(2026, 0, 1);
  #created = 0;

  constructor(options: FakeRestOptions = {}) {
    super();
    this.#tokens = new Set(options.tokens ?? ['rest_test']);
    this.#paging = options.paging ?? 'page';
    this.#pageSize = options.pageSize ?? 25;
    this.server = new FakeServer({
      name: 'REST',
      errorBody: (status, code, message) => ({ error: { code, message, status } }),
      rateLimit: options.rateLimit,
      isValidToken: (token) => token !== undefined && this.#tokens.has(token),
    });
    this.server
      .route('GET', '/v1/items', (request) => this.#list(request))
      .route('POST', '/v1/items', (request) => this.#post(request))
      .route('PUT', '/v1/items/:id', (request) => this.#put(request))
      .route('PATCH', '/v1/items/:id', (request) => this.#patch(request))
      .route('DELETE', '/v1/items/:id', ({ params }) => {
        if (!this.items.delete(params.id!)) return notFound(params.id!);
        return { status: 204 };
      });
  }

  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** Adds or edits an item; each change is a second later than the one before. */
  put(id: string, title: string, extra: Record<string, unknown> = {}): void {
    this.#clock += 1_000;
    this.items.set(id, { ...extra, id, title, updated_at: new Date(this.#clock).toISOString() });
  }

  remove(id: string): void {
    this.items.delete(id);
  }

  /** Creates or replaces an item; `title` must be a string. */
  #put({ params, body }: FakeRequest): FakeResponse {
    const fields = (body ?? {}) as Record<string, unknown>;
    if (typeof fields.title !== 'string') return invalid('title', 'must be a string');
    const existed = this.items.has(params.id!);
    this.put(params.id!, fields.title, fields);
    return { status: existed ? 200 : 201, body: this.items.get(params.id!) };
  }

  /** Creates an item under an id of the service's choosing: 201, the item, and its Location. */
  #post({ body }: FakeRequest): FakeResponse {
    const fields = (body ?? {}) as Record<string, unknown>;
    if (typeof fields.title !== 'string') return invalid('title', 'must be a string');
    const id = `itm_${(++this.#created).toString(36).padStart(6, '0')}`;
    this.put(id, fields.title, fields);
    return { status: 201, body: this.items.get(id), headers: { location: `/v1/items/${id}` } };
  }

  #patch({ params, body }: FakeRequest): FakeResponse {
    const item = this.items.get(params.id!);
    if (!item) return notFound(params.id!);
    const fields = { ...item, ...((body ?? {}) as Record<string, unknown>) };
    if (typeof fields.title !== 'string') return invalid('title', 'must be a string');
    this.put(params.id!, fields.title, fields);
    return { status: 200, body: this.items.get(params.id!) };
  }

  #list({ query }: FakeRequest): FakeResponse {
    const size = Math.min(100, Number(query.get('per_page') ?? this.#pageSize));
    const since = query.get('updated_since');
    if (since !== null && Number.isNaN(Date.parse(since))) {
      return {
        status: 400,
        body: { error: { code: 'invalid_parameter', message: 'updated_since is not a time' } },
      };
    }
    const externalId = query.get('external_id');
    const all = [...this.items.values()]
      .filter((item) => since === null || Date.parse(item.updated_at) >= Date.parse(since))
      .filter((item) => externalId === null || item.external_id === externalId)
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id.localeCompare(b.id));
    const offset =
      this.#paging === 'cursor'
        ? Number(Buffer.from(query.get('cursor') ?? 'MA', 'base64url').toString() || 0)
        : (Number(query.get('page') ?? 1) - 1) * size;
    const data = all.slice(offset, offset + size);
    const more = offset + size < all.length;
    const base = new URL(`${this.url}/v1/items`);
    for (const [name, value] of query) base.searchParams.set(name, value);
    const pageLink = (page: number) => {
      const next = new URL(base);
      next.searchParams.set('page', String(page));
      return next.href;
    };
    const page = offset / size + 1;
    switch (this.#paging) {
      case 'page':
        return { status: 200, body: { data, page, per_page: size } };
      case 'link':
        return {
          status: 200,
          body: data,
          headers: more ? { link: `<${pageLink(page + 1)}>; rel="next"` } : {},
        };
      case 'cursor':
        return {
          status: 200,
          body: {
            data,
            meta: {
              next_cursor: more ? Buffer.from(String(offset + size)).toString('base64url') : null,
            },
          },
        };
      case 'hal':
        return {
          status: 200,
          body: {
            _embedded: { items: data },
            _links: {
              self: { href: pageLink(page) },
              ...(more ? { next: { href: pageLink(page + 1) } } : {}),
            },
          },
        };
    }
  }
}

function notFound(id: string): FakeResponse {
  return { status: 404, body: { error: { code: 'not_found', message: `No item ${id}` } } };
}

function invalid(field: string, message: string): FakeResponse {
  return {
    status: 422,
    body: { error: { code: 'invalid', message: `${field} ${message}`, field } },
  };
}
