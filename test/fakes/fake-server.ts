import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake saw it, for assertions such as "no write requests". */
export interface SeenRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly status: number;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly params: Readonly<Record<string, string>>;
  /** Parsed JSON body, or the form fields of an urlencoded body; undefined when empty. */
  readonly body: unknown;
  /** The bearer token (or GitHub's `token` scheme), if any. */
  readonly token: string | undefined;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** How a service words its errors: every fake answers in its service's own error body. */
export type ErrorBody = (status: number, code: string, message: string) => unknown;

export interface RateLimit {
  /** Tokens added per second. */
  readonly requestsPerSecond: number;
  /** Bucket size: how many requests may go at once after a quiet spell. @default 1 */
  readonly burst?: number;
}

export interface FakeServerOptions {
  /** Service name, used in messages. */
  readonly name: string;
  readonly errorBody: ErrorBody;
  /**
   * Answer for an over-limit request: the status, error code and message the service uses.
   * @default 429 rate_limited
   */
  readonly rateLimited?: {
    status: number;
    code: string;
    message: string;
    /** Headers besides Retry-After the service sends with it, from the wait in seconds. */
    headers?: (waitSeconds: number) => Record<string, string>;
  };
  /** Token bucket; omitted = no limit. Changeable later with `setRateLimit`. */
  readonly rateLimit?: RateLimit | undefined;
  /** Paths that need no bearer token (OAuth token endpoints, app JWT exchanges). */
  readonly publicPaths?: readonly RegExp[];
  /** A check every request passes before auth and routing (a required header): an answer refuses it. */
  readonly checkRequest?: (request: FakeRequest) => FakeResponse | undefined;
  /** Checks a bearer token; false = 401. Omitted = any token works. */
  readonly isValidToken?: (token: string | undefined, request: FakeRequest) => boolean;
}

/** A fault the next matching requests meet instead of their handler. */
export interface Fault {
  /**
   * `status`: answered with that status, nothing applied. `timeout`: held unanswered, nothing
   * applied. `drop`: applied, then the connection is cut before the answer (a lost response).
   */
  readonly kind: 'status' | 'timeout' | 'drop';
  /** For `status`: e.g. 500, 502, 503. */
  readonly status?: number;
  /**
   * For `status`: answer with an HTML page instead of the service's JSON error body, as a
   * load balancer or proxy in front of the service does. @default false
   */
  readonly html?: boolean;
  /** How many requests it affects. @default 1 */
  readonly times?: number;
  readonly method?: string;
  readonly path?: RegExp;
}

/** The reason phrases a proxy's error pages carry. */
const PROXY_REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: FakeHandler;
}

/**
 * The shared plumbing of every fake SaaS service: routing, bearer-token auth (401), a token
 * bucket that answers 429 with Retry-After, injected faults, and a log of every request.
 */
export class FakeServer {
  readonly name: string;
  readonly requests: SeenRequest[] = [];
  readonly #options: FakeServerOptions;
  readonly #routes: Route[] = [];
  readonly #faults: Array<Fault & { left: number }> = [];
  readonly #held = new Set<ServerResponse>();
  readonly #server = createServer((request, response) => void this.#serve(request, response));
  #rateLimit: RateLimit | undefined;
  #tokens = 0;
  #refilledAt = performance.now();
  #url = '';
  #unauthorizedGate: { count: number; held: Array<() => void> } | undefined;

  constructor(options: FakeServerOptions) {
    this.name = options.name;
    this.#options = options;
    this.setRateLimit(options.rateLimit);
  }

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const response of this.#held) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Registers a handler; `:name` segments become params. */
  route(method: string, path: string, handler: FakeHandler): this {
    const names: string[] = [];
    const source = path.replace(/:(\w+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  setRateLimit(rateLimit: RateLimit | undefined): void {
    this.#rateLimit = rateLimit;
    this.#tokens = rateLimit?.burst ?? 1;
    this.#refilledAt = performance.now();
  }

  inject(fault: Fault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /**
   * Holds the next `count` 401 answers until all of them are asked for, then sends them
   * together: that many callers hold a dead token at the same moment (a rotation race).
   */
  holdUnauthorized(count: number): void {
    this.#unauthorizedGate = { count, held: [] };
  }

  /** Ends the faults still pending: the service is healthy again. */
  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Stops listening and drops every connection: new requests meet ECONNREFUSED. */
  async refuseConnections(): Promise<void> {
    for (const response of this.#held) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens again on the same port after `refuseConnections()`. */
  async acceptConnections(): Promise<void> {
    const port = Number(new URL(this.#url).port);
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
  }

  /** Requests seen, optionally filtered by method and/or path pattern. */
  count(filter: { method?: string; path?: RegExp; status?: number } = {}): number {
    return this.requests.filter(
      (request) =>
        (filter.method === undefined || request.method === filter.method) &&
        (filter.path === undefined || filter.path.test(request.path)) &&
        (filter.status === undefined || request.status === filter.status),
    ).length;
  }

  /** Requests that could change data (anything but GET, HEAD and the read-only POSTs given). */
  writes(readOnlyPosts: readonly RegExp[] = []): number {
    return this.requests.filter(
      (request) =>
        request.method !== 'GET' &&
        request.method !== 'HEAD' &&
        !(request.method === 'POST' && readOnlyPosts.some((pattern) => pattern.test(request.path))),
    ).length;
  }

  resetCounts(): void {
    this.requests.length = 0;
  }

  async #serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'http://fake');
    const method = incoming.method ?? 'GET';
    const raw = await readBody(incoming);
    const authorization = incoming.headers.authorization;
    const request: FakeRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      params: {},
      body: parseBody(raw, incoming.headers['content-type']),
      // `Bearer` (any case) as most APIs use, or GitHub's older `token` scheme.
      token: /^(?:bearer|token)\s+(.+)$/i.exec(authorization ?? '')?.[1],
    };
    const send = (answer: FakeResponse) => {
      this.requests.push({ method, path: url.pathname, status: answer.status });
      const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
      response.writeHead(answer.status, {
        'content-type': 'application/json; charset=utf-8',
        ...answer.headers,
      });
      response.end(text);
    };
    const fault = this.#takeFault(method, url.pathname);
    if (fault?.kind === 'timeout') {
      this.requests.push({ method, path: url.pathname, status: 0 });
      this.#held.add(response);
      response.on('close', () => this.#held.delete(response));
      return;
    }
    const wait = this.#takeToken();
    if (wait > 0) {
      const limited = this.#options.rateLimited ?? {
        status: 429,
        code: 'rate_limited',
        message: 'You have been rate limited. Please try again in a few minutes.',
      };
      return send({
        status: limited.status,
        body: this.#options.errorBody(limited.status, limited.code, limited.message),
        headers: {
          'retry-after': String(Math.max(1, Math.ceil(wait / 1000))),
          ...limited.headers?.(Math.max(1, Math.ceil(wait / 1000))),
        },
      });
    }
    if (fault?.kind === 'status') {
      const status = fault.status ?? 500;
      if (fault.html) {
        this.requests.push({ method, path: url.pathname, status });
        const reason = PROXY_REASONS[status] ?? 'Server Error';
        response.writeHead(status, { 'content-type': 'text/html' });
        response.end(
          `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
        );
        return;
      }
      return send({
        status,
        body: this.#options.errorBody(status, 'internal_server_error', 'Injected failure'),
      });
    }
    const refused = this.#options.checkRequest?.(request);
    if (refused) return send(refused);
    const isPublic = (this.#options.publicPaths ?? []).some((pattern) =>
      pattern.test(url.pathname),
    );
    if (
      !isPublic &&
      this.#options.isValidToken &&
      !this.#options.isValidToken(request.token, request)
    ) {
      const gate = this.#unauthorizedGate;
      if (gate) {
        await new Promise<void>((resolve) => {
          gate.held.push(resolve);
          if (gate.held.length < gate.count) return;
          this.#unauthorizedGate = undefined;
          for (const release of gate.held) release();
        });
      }
      return send({
        status: 401,
        body: this.#options.errorBody(401, 'unauthorized', 'API token is invalid.'),
      });
    }
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const params = Object.fromEntries(
        route.names.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]),
      );
      try {
        const answer = await route.handler({ ...request, params });
        if (fault?.kind === 'drop') {
          this.requests.push({ method, path: url.pathname, status: 0 });
          response.destroy();
          return;
        }
        return send(answer);
      } catch (error) {
        return send({
          status: 500,
          body: this.#options.errorBody(500, 'internal_server_error', String(error)),
        });
      }
    }
    send({
      status: 404,
      body: this.#options.errorBody(404, 'not_found', `No route for ${method} ${url.pathname}`),
    });
  }

  #takeFault(method: string, path: string): Fault | undefined {
    const index = this.#faults.findIndex(
      (fault) =>
        (fault.method === undefined || fault.method === method) &&
        (fault.path === undefined || fault.path.test(path)),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.left--;
    if (fault.left <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  /** Takes one token from the bucket; returns 0, or the ms until a token is there. */
  #takeToken(): number {
    const limit = this.#rateLimit;
    if (!limit) return 0;
    const burst = limit.burst ?? 1;
    const now = performance.now();
    this.#tokens = Math.min(
      burst,
      this.#tokens + ((now - this.#refilledAt) / 1000) * limit.requestsPerSecond,
    );
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return ((1 - this.#tokens) / limit.requestsPerSecond) * 1000;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Sequential ids that look like the service's own (used by fakes that mint ids). */
export function idMaker(format: (n: number) => string): () => string {
  let next = 1;
  return () => format(next++);
}
