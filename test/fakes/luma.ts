import { type FakeRequest, type FakeResponse, FakeServer, idMaker } from './fake-server.js';
import { FakeKeyedService } from './fake-service.js';

export interface FakeLumaHost {
  api_id: string;
  name: string;
  email: string;
}

export interface FakeLumaEvent {
  api_id: string;
  name: string;
  start_at: string;
  end_at: string | null;
  timezone: string;
  slug: string;
  url: string;
  hosts: FakeLumaHost[];
  created_at: string;
}

export interface FakeLumaOptions {
  /** API keys that authenticate (one calendar). @default ['luma_key'] */
  keys?: readonly string[];
  /**
   * Requests per minute per calendar, GET and POST alike; over it the key is blocked for
   * `blockMs`. Luma documents 200 for a calendar key. @default 200
   */
  requestsPerMinute?: number;
  /** How long an over-limit key stays blocked (Luma: one minute). @default 60_000 */
  blockMs?: number;
  /** The window `requestsPerMinute` counts in, shortened by tests. @default 60_000 */
  windowMs?: number;
}

/** Luma's error body: `{ message }`. */
function lumaError(_status: number, _code: string, message: string): unknown {
  return { message };
}

const MAX_PAGE = 50;

/**
 * A fake of the Luma public API calls keepsync makes: calendar/list-events (events by start
 * time, `after`/`before`, `pagination_limit` capped at 50, an opaque keyset `next_cursor`
 * with `has_more`), user/get-self, event/get (event + hosts), event/create (`name`, `start_at`, `timezone`
 * required; answers `{ api_id }`) and event/update (by `event_id`). The key goes in
 * `x-luma-api-key` (401 otherwise). Its rate limit is Luma's: a fixed one-minute window per
 * calendar with X-RateLimit-* headers; over it, 429 with Retry-After and the key blocked for a
 * minute. There is no delete endpoint, as in Luma.
 */
export class FakeLuma extends FakeKeyedService {
  readonly server: FakeServer;
  readonly events = new Map<string, FakeLumaEvent>();
  readonly #nextId = idMaker((n) => `evt-${n.toString(36).padStart(12, '0')}`);
  readonly #perMinute: number;
  readonly #blockMs: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #windowCount = 0;
  #blockedUntil = 0;
  /** The query of every list-events request, in order. */
  readonly listQueries: URLSearchParams[] = [];
  /** Every 429 this fake answered under its per-minute limit. */
  limited = 0;
  /** Runs after an event/create is applied, before its answer is sent (crash tests). */
  onCreated: ((event: FakeLumaEvent) => void | Promise<void>) | undefined;

  constructor(options: FakeLumaOptions = {}) {
    super(options.keys ?? ['luma_key']);
    this.#perMinute = options.requestsPerMinute ?? 200;
    this.#blockMs = options.blockMs ?? 60_000;
    this.#windowMs = options.windowMs ?? 60_000;
    this.server = new FakeServer({
      name: 'Luma',
      errorBody: lumaError,
      isValidToken: (_token, request) => {
        const key = request.headers['x-luma-api-key'];
        return typeof key === 'string' && this.hasKey(key);
      },
    });
    const limited =
      (handler: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>) =>
      (request: FakeRequest) =>
        this.#window() ?? handler(request);
    this.server.route(
      'GET',
      '/v1/user/get-self',
      limited(() => ({
        status: 200,
        body: { user: { api_id: 'usr-owner', name: 'Calendar owner', email: 'owner@example.com' } },
      })),
    );
    this.server.route(
      'GET',
      '/v1/calendar/list-events',
      limited((r) => this.#list(r)),
    );
    this.server.route(
      'GET',
      '/v1/event/get',
      limited((r) => this.#get(r)),
    );
    this.server.route(
      'POST',
      '/v1/event/create',
      limited((r) => this.#create(r)),
    );
    this.server.route(
      'POST',
      '/v1/event/update',
      limited((r) => this.#update(r)),
    );
  }

  /** Adds an event as a person would in Luma's app. */
  addEvent(event: {
    name: string;
    start_at: string;
    hosts?: FakeLumaHost[];
    slug?: string;
  }): FakeLumaEvent {
    const id = this.#nextId();
    const stored: FakeLumaEvent = {
      api_id: id,
      name: event.name,
      start_at: event.start_at,
      end_at: null,
      timezone: 'UTC',
      slug: event.slug ?? id.slice(4),
      url: `https://lu.ma/${event.slug ?? id.slice(4)}`,
      hosts: event.hosts ?? [],
      created_at: new Date().toISOString(),
    };
    this.events.set(id, stored);
    return stored;
  }

  /** Luma's one-minute window: null when the request may go, else the 429. */
  #window(): FakeResponse | null {
    const now = Date.now();
    const headers = (remaining: number, reset: number) => ({
      'x-ratelimit-limit': String(this.#perMinute),
      'x-ratelimit-remaining': String(Math.max(0, remaining)),
      'x-ratelimit-reset': new Date(reset).toISOString(),
    });
    if (now < this.#blockedUntil) {
      this.limited++;
      return this.#tooMany(headers(0, this.#blockedUntil));
    }
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    if (this.#windowCount >= this.#perMinute) {
      this.#blockedUntil = now + this.#blockMs;
      this.limited++;
      return this.#tooMany(headers(0, this.#blockedUntil));
    }
    this.#windowCount++;
    return null;
  }

  #tooMany(headers: Record<string, string>): FakeResponse {
    const waitSeconds = Math.max(1, Math.ceil((this.#blockedUntil - Date.now()) / 1000));
    return {
      status: 429,
      body: lumaError(429, 'rate_limited', 'Too many requests. Please try again in a minute.'),
      headers: { ...headers, 'retry-after': String(waitSeconds) },
    };
  }

  #list(request: FakeRequest): FakeResponse {
    this.listQueries.push(request.query);
    const after = request.query.get('after');
    const before = request.query.get('before');
    const limit = Math.min(
      MAX_PAGE,
      Number(request.query.get('pagination_limit') ?? MAX_PAGE) || MAX_PAGE,
    );
    const cursor = request.query.get('pagination_cursor');
    let position: [string, string] | null = null;
    if (cursor) {
      try {
        position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
          string,
          string,
        ];
      } catch {
        return { status: 400, body: lumaError(400, 'bad_request', 'Invalid pagination_cursor') };
      }
    }
    const sorted = [...this.events.values()]
      .filter(
        (event) =>
          (after === null || event.start_at >= after) &&
          (before === null || event.start_at < before),
      )
      .sort((a, b) => a.start_at.localeCompare(b.start_at) || a.api_id.localeCompare(b.api_id));
    // A keyset cursor: events added or removed before it do not shift the next page.
    const rest = position
      ? sorted.filter(
          (event) =>
            event.start_at > position![0] ||
            (event.start_at === position![0] && event.api_id > position![1]),
        )
      : sorted;
    const page = rest.slice(0, limit);
    const last = page.at(-1);
    const hasMore = rest.length > limit;
    return {
      status: 200,
      body: {
        entries: page.map((event) => ({
          api_id: event.api_id,
          event: this.#public(event),
          tags: [],
        })),
        has_more: hasMore,
        ...(hasMore && last
          ? {
              next_cursor: Buffer.from(JSON.stringify([last.start_at, last.api_id])).toString(
                'base64url',
              ),
            }
          : {}),
      },
    };
  }

  #get(request: FakeRequest): FakeResponse {
    const event = this.events.get(request.query.get('api_id') ?? '');
    if (!event) return { status: 404, body: lumaError(404, 'not_found', 'Event not found') };
    return { status: 200, body: { event: this.#public(event), hosts: event.hosts } };
  }

  async #create(request: FakeRequest): Promise<FakeResponse> {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const missing = ['name', 'start_at', 'timezone'].find(
      (field) => typeof body[field] !== 'string' || body[field] === '',
    );
    if (missing)
      return { status: 400, body: lumaError(400, 'bad_request', `${missing} is required`) };
    if (Number.isNaN(Date.parse(body.start_at as string))) {
      return {
        status: 400,
        body: lumaError(400, 'bad_request', 'start_at must be an ISO 8601 datetime'),
      };
    }
    const event = this.addEvent({ name: body.name as string, start_at: body.start_at as string });
    event.timezone = body.timezone as string;
    if (typeof body.end_at === 'string') event.end_at = body.end_at;
    await this.onCreated?.(event);
    return { status: 200, body: { api_id: event.api_id } };
  }

  #update(request: FakeRequest): FakeResponse {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const event = this.events.get(typeof body.event_id === 'string' ? body.event_id : '');
    if (!event) return { status: 404, body: lumaError(404, 'not_found', 'Event not found') };
    if (typeof body.name === 'string') event.name = body.name;
    if (typeof body.start_at === 'string') event.start_at = body.start_at;
    if (typeof body.timezone === 'string') event.timezone = body.timezone;
    if (typeof body.end_at === 'string') event.end_at = body.end_at;
    return { status: 200, body: {} };
  }

  #public(event: FakeLumaEvent) {
    const { hosts: _hosts, ...rest } = event;
    return rest;
  }
}
