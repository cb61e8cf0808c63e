import { parseText } from '../connectors/files/index.js';
import { AuthError, type JsonValue, KeepsyncError } from '../model/index.js';
import { expandDocument } from './documents.js';
import type { HttpClient, HttpResponse } from './http-client.js';
import { snippet } from './http-client.js';
import { nextPageUrl } from './pagination.js';
import { type CopyResource, isJsonObject, type ResourceDocument } from './resource.js';
import { matchesRelation, NAVIGATION_RELATIONS, type ResourceSchema } from './schema.js';

export interface CrawlOptions {
  readonly client: HttpClient;
  readonly start: string;
  readonly schema: ResourceSchema;
  /** Relations followed to further resources; `*` follows all, `child:*` a prefix. */
  readonly follow: readonly string[];
  /** ResourceLink hops from the start; pagination does not count. */
  readonly maxDepth: number;
  /** Follow `next` pages; false reads only the page given (resource-sync's `--follow-none`). */
  readonly paginate: boolean;
  readonly concurrency: number;
  /** A 404 at the start means "nothing here yet" (a destination), not an error (an origin). */
  readonly missingStartIsEmpty: boolean;
  readonly warn: (message: string) => void;
}

interface Visit {
  readonly url: string;
  readonly depth: number;
  readonly from: string | undefined;
  /** Reached through pagination rather than a followed link. */
  readonly paged: boolean;
}

interface Fetched {
  readonly resources: CopyResource[];
  /** Pagination goes first, so a listing is read page after page. */
  readonly nextPage: Visit | undefined;
  readonly links: Visit[];
}

export const ACCEPT =
  'application/hal+json, application/json;q=0.9, application/yaml;q=0.5, */*;q=0.1';

/**
 * Reads resources over HTTP, page after page, following the chosen links up to a depth and
 * never fetching a URL twice. Links to the start's own host are made host-relative.
 */
export async function* crawl(options: CrawlOptions): AsyncGenerator<CopyResource[]> {
  const startUrl = new URL(options.start);
  const seen = new Set<string>();
  const queue: Visit[] = [
    { url: withoutFragment(startUrl.href), depth: 0, from: undefined, paged: false },
  ];
  const inFlight = new Map<Promise<Fetched>, Visit>();
  const relativise = (href: string, base: string): string => {
    const absolute = new URL(href, base);
    return absolute.origin === startUrl.origin
      ? `${absolute.pathname}${absolute.search}${absolute.hash}`
      : absolute.href;
  };

  while (queue.length > 0 || inFlight.size > 0) {
    while (queue.length > 0 && inFlight.size < options.concurrency) {
      const visit = queue.shift()!;
      if (seen.has(visit.url)) continue;
      seen.add(visit.url);
      const promise = fetchVisit(options, visit, seen, relativise);
      inFlight.set(promise, visit);
    }
    if (inFlight.size === 0) break;
    const [promise, fetched] = await Promise.race(
      [...inFlight.keys()].map((pending) => pending.then((result) => [pending, result] as const)),
    );
    inFlight.delete(promise);
    if (fetched.nextPage) queue.unshift(fetched.nextPage);
    queue.push(...fetched.links);
    if (fetched.resources.length > 0) yield fetched.resources;
  }
}

async function fetchVisit(
  options: CrawlOptions,
  visit: Visit,
  seen: Set<string>,
  relativise: (href: string, base: string) => string,
): Promise<Fetched> {
  const nothing: Fetched = { resources: [], nextPage: undefined, links: [] };
  const response = await get(options, visit);
  if (response === null) return nothing;
  const value = parseBody(response, visit.url);
  const doc = isJsonObject(value) ? value : null;
  const located = { value, where: visit.url };
  const all = expandDocument(located, options.schema, {
    strict: false,
    prepare: (item) => options.schema.mapHrefs(item, (href) => relativise(href, visit.url)),
  });
  const resources: CopyResource[] = [];
  for (const resource of all) {
    const at =
      resource.uri === undefined
        ? undefined
        : withoutFragment(new URL(resource.uri, visit.url).href);
    if (at !== undefined && at !== visit.url && seen.has(at)) continue;
    if (at !== undefined) seen.add(at);
    resources.push(resource);
  }
  const items = doc && !options.schema.isResource(doc) ? options.schema.embedded(doc).length : 0;
  // A server that ignores the page parameter serves the same items again: stop there.
  const stalled = visit.paged && items > 0 && resources.length === 0;
  const next =
    stalled || !options.paginate
      ? undefined
      : nextPageUrl(doc, visit.url, items, response.headers.get('link'), options.schema);
  const links: Visit[] = [];
  if (visit.depth < options.maxDepth && options.follow.length > 0) {
    for (const source of documentsIn(value, options.schema)) {
      for (const link of options.schema.links(source)) {
        if (NAVIGATION_RELATIONS.has(link.rel) || !matchesRelation(options.follow, link.rel))
          continue;
        const url = withoutFragment(new URL(link.href, visit.url).href);
        if (!seen.has(url))
          links.push({ url, depth: visit.depth + 1, from: visit.url, paged: false });
      }
    }
  }
  return {
    resources,
    nextPage:
      next === undefined
        ? undefined
        : { url: withoutFragment(next), depth: visit.depth, from: visit.url, paged: true },
    links,
  };
}

async function get(options: CrawlOptions, visit: Visit): Promise<HttpResponse | null> {
  let response: HttpResponse;
  try {
    response = await options.client.request('GET', visit.url, { accept: ACCEPT });
  } catch (error) {
    throw new KeepsyncError(
      'ORIGIN_FAILED',
      `GET ${visit.url} failed after retries: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (response.status >= 200 && response.status < 300) return response;
  const problem = `GET ${visit.url} answered ${response.status}${snippet(response.text)}`;
  if (response.status === 401 || response.status === 403) {
    throw new AuthError(`${problem} (check the --header credentials)`);
  }
  if (visit.from === undefined) {
    if (response.status === 404 && options.missingStartIsEmpty) return null;
    throw new KeepsyncError(response.status === 404 ? 'NOT_FOUND' : 'ORIGIN_FAILED', problem);
  }
  // A broken link is reported, not fatal: the rest of the crawl is still worth having.
  options.warn(`${problem} (a link from ${visit.from}); skipped`);
  return null;
}

function parseBody(response: HttpResponse, url: string): JsonValue {
  const mediaType = (response.headers.get('content-type') ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const yaml = /(^|[/+.-])yaml$/.test(mediaType);
  return parseText(response.text, yaml ? 'yaml' : 'json', url) as JsonValue;
}

/** The document and every document embedded in it, whose links may be followed. */
function documentsIn(value: JsonValue, schema: ResourceSchema): ResourceDocument[] {
  const found: ResourceDocument[] = [];
  const visit = (item: JsonValue): void => {
    if (Array.isArray(item)) for (const inner of item as JsonValue[]) visit(inner);
    else if (isJsonObject(item)) {
      found.push(item);
      for (const inner of schema.embedded(item)) visit(inner);
    }
  };
  visit(value);
  return found;
}

function withoutFragment(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}
