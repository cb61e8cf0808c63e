import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Doc = Record<string, unknown> & { _links?: Record<string, { href: string }> };

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly at: number;
  readonly headers: IncomingMessage['headers'];
}

export interface Fault {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly retryAfter?: string;
  /** How many requests get the fault. @default 1 */
  times?: number;
}

export interface HalServerOptions {
  /** Items per page of a collection. @default 2 */
  pageSize?: number;
  /** Required `Authorization` header value; others get 401. */
  authorization?: string;
  /** Advertise and accept `PATCH {items}` on collections. @default false */
  batch?: boolean;
  /** Milliseconds each request takes, so concurrency can be observed. @default 0 */
  delayMs?: number;
  /** Relations this server keeps itself (back-links): never checked on a write. @default [] */
  backLinks?: string[];
}

/**
 * A HAL server on loopback: collections at /api/<type> with `next` links, the same listings in
 * offset style at /offset/<type>, page style at /paged/<type> and as bare arrays with a `Link`
 * header at /linked/<type>, an index at /api, and
 * PUT/DELETE/PATCH that refuse links to missing resources (409), as strict servers do.
 */
export class HalServer {
  readonly docs = new Map<string, Doc>();
  readonly log: LoggedRequest[] = [];
  readonly faults: Fault[] = [];
  maxInFlight = 0;
  #inFlight = 0;
  #server = createServer((request, response) => {
    this.#handle(request, response).catch((error) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  #options: HalServerOptions;
  url = '';

  constructor(options: HalServerOptions = {}) {
    this.#options = options;
  }

  static async start(options: HalServerOptions = {}, port = 0): Promise<HalServer> {
    const server = new HalServer(options);
    await new Promise<void>((resolve) => server.#server.listen(port, '127.0.0.1', resolve));
    server.url = `http://127.0.0.1:${(server.#server.address() as AddressInfo).port}`;
    return server;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Stores documents as given (hrefs may be host-relative). */
  seed(docs: readonly Doc[]): void {
    for (const doc of docs) this.docs.set(selfPath(doc), structuredClone(doc));
  }

  /** Documents as served: hrefs absolute on this server. */
  served(): Map<string, Doc> {
    return new Map([...this.docs].map(([path, doc]) => [path, this.#absolute(doc)]));
  }

  requests(method: string): LoggedRequest[] {
    return this.log.filter((entry) => entry.method === method);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    this.log.push({
      method,
      path: url.pathname + url.search,
      at: Date.now(),
      headers: request.headers,
    });
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      if (this.#options.delayMs) await new Promise((r) => setTimeout(r, this.#options.delayMs));
      const body = await readBody(request);
      if (
        this.#options.authorization &&
        request.headers.authorization !== this.#options.authorization
      ) {
        return send(response, 401, { message: 'missing or wrong credentials' });
      }
      const fault = this.faults.find(
        (candidate) =>
          candidate.method === method &&
          candidate.path === url.pathname &&
          (candidate.times ?? 1) > 0,
      );
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.retryAfter !== undefined) response.setHeader('retry-after', fault.retryAfter);
        return send(response, fault.status, { message: 'injected fault' });
      }
      const segments = url.pathname.split('/').filter(Boolean);
      if (method === 'GET') return this.#get(url, segments, response);
      if (method === 'PUT' && segments.length === 3) return this.#put(url.pathname, body, response);
      if (method === 'DELETE' && segments.length === 3) return this.#delete(url.pathname, response);
      if (method === 'OPTIONS' && segments.length === 2) {
        response.setHeader('allow', this.#options.batch ? 'GET, PATCH, OPTIONS' : 'GET, OPTIONS');
        return send(response, 204);
      }
      if (method === 'PATCH' && segments.length === 2 && this.#options.batch) {
        const { items } = JSON.parse(body) as { items: Doc[] };
        for (const item of items) {
          const problem = this.#missingLinks(item);
          if (problem) return send(response, 409, { message: problem });
          this.docs.set(selfPath(item), item);
        }
        return send(response, 200, { written: items.length });
      }
      return send(response, 405, { message: `${method} not allowed on ${url.pathname}` });
    } finally {
      this.#inFlight--;
    }
  }

  #get(url: URL, segments: string[], response: ServerResponse): boolean {
    if (segments.length === 1 && segments[0] === 'api') {
      const types = [...new Set([...this.docs.keys()].map((path) => path.split('/')[2]!))].sort();
      const links: Record<string, { href: string }> = { self: { href: `${this.url}/api` } };
      for (const type of types) links[type] = { href: `${this.url}/api/${type}` };
      return send(response, 200, { _links: links });
    }
    if (segments.length === 3 && segments[0] === 'api') {
      const doc = this.docs.get(url.pathname);
      return doc
        ? send(response, 200, this.#absolute(doc))
        : send(response, 404, { message: `no ${url.pathname}` });
    }
    if (segments.length !== 2) return send(response, 404, { message: `no ${url.pathname}` });
    const [style, type] = segments as [string, string];
    const all = [...this.docs]
      .filter(([path]) => path.startsWith(`/api/${type}/`))
      .map(([, doc]) => this.#absolute(doc))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const size = this.#options.pageSize ?? 2;
    if (style === 'api') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const items = all.slice((page - 1) * size, page * size);
      const links: Record<string, { href: string }> = {
        self: { href: `${this.url}/api/${type}?page=${page}` },
      };
      if (page * size < all.length) links.next = { href: `/api/${type}?page=${page + 1}` };
      return send(response, 200, { count: all.length, _links: links, _embedded: { items } });
    }
    if (style === 'offset') {
      const offset = Number(url.searchParams.get('offset') ?? '0');
      const limit = Number(url.searchParams.get('limit') ?? String(size));
      const items = all.slice(offset, offset + limit);
      return send(response, 200, { items, offset, limit, count: all.length });
    }
    if (style === 'linked') {
      const page = Number(url.searchParams.get('page') ?? '1');
      if (page * size < all.length) {
        response.setHeader('link', `</linked/${type}?page=${page + 1}>; rel="next"`);
      }
      return send(response, 200, all.slice((page - 1) * size, page * size));
    }
    if (style === 'paged') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const items = all.slice((page - 1) * size, page * size);
      return send(response, 200, { items, page, totalPages: Math.ceil(all.length / size) });
    }
    return send(response, 404, { message: `no ${url.pathname}` });
  }

  #put(path: string, body: string, response: ServerResponse): boolean {
    let doc: Doc;
    try {
      doc = JSON.parse(body) as Doc;
    } catch {
      return send(response, 400, { message: 'body is not JSON' });
    }
    const problem = this.#missingLinks(doc);
    if (problem) return send(response, 409, { message: problem });
    if (typeof doc.reject === 'string') return send(response, 422, { message: doc.reject });
    const existed = this.docs.has(path);
    this.docs.set(path, doc);
    return send(response, existed ? 200 : 201, this.#absolute(doc));
  }

  #delete(path: string, response: ServerResponse): boolean {
    if (!this.docs.has(path)) return send(response, 404, { message: `no ${path}` });
    const linking = [...this.docs].find(
      ([other, doc]) => other !== path && dependencies(doc).includes(path),
    );
    if (linking) return send(response, 409, { message: `${linking[0]} still links to ${path}` });
    this.docs.delete(path);
    return send(response, 204);
  }

  #missingLinks(doc: Doc): string | undefined {
    const missing = dependencies(doc, this.#options.backLinks).filter(
      (path) => !this.docs.has(path),
    );
    return missing.length > 0 ? `links to missing ${missing.join(', ')}` : undefined;
  }

  #absolute(doc: Doc): Doc {
    if (!doc._links) return doc;
    const links: Record<string, { href: string }> = {};
    for (const [rel, link] of Object.entries(doc._links)) {
      links[rel] = { ...link, href: new URL(link.href, this.url).href };
    }
    return { ...doc, _links: links };
  }
}

function selfPath(doc: Doc): string {
  return new URL(doc._links!.self!.href, 'http://x').pathname;
}

/** Paths a document links to, other than itself and its children. */
function dependencies(doc: Doc, backLinks: readonly string[] = []): string[] {
  return Object.entries(doc._links ?? {})
    .filter(([rel]) => rel !== 'self' && !rel.startsWith('child:') && !backLinks.includes(rel))
    .map(([, link]) => new URL(link.href, 'http://x').pathname);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Always true, so handlers can `return send(...)`. */
function send(response: ServerResponse, status: number, body?: unknown): true {
  response.statusCode = status;
  if (body === undefined) {
    response.end();
    return true;
  }
  response.setHeader('content-type', 'application/hal+json; charset=utf-8');
  response.end(JSON.stringify(body));
  return true;
}
