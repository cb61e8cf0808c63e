import { AuthError, describeError, KeepsyncError } from '../model/index.js';
import type {
  CopyChange,
  CopyEndpoint,
  CopyFailure,
  CopyPlan,
  CopyReadContext,
  CopyTargetSession,
  CopyWriteContext,
} from './endpoint.js';
import { HttpClient, type HttpClientOptions, snippet } from './http-client.js';
import { ACCEPT, crawl } from './http-crawl.js';
import { runPool } from './pool.js';
import type { ResourceHead, StagedResource } from './resource.js';

export interface HttpEndpointOptions extends HttpClientOptions {
  /** ResourceLink relations followed to further resources, besides pagination; `*` = all. @default [] */
  follow?: readonly string[] | undefined;
  /** Follow `next` pages; false reads only the page given. @default true */
  paginate?: boolean | undefined;
  /** ResourceLink hops followed from the URL given; pagination does not count. @default 3 */
  maxDepth?: number | undefined;
  /**
   * Resources per `PATCH {items: [...]}` to their collection, for servers whose OPTIONS
   * `Allow` lists PATCH; 1 sends one PUT per resource. @default 1
   */
  batchSize?: number | undefined;
}

/**
 * An HTTP(S) endpoint. As an origin it crawls the URL; as the destination it crawls the URL
 * to learn what is there (a 404 means nothing yet), then PUTs each changed resource on its
 * uri, moved onto the destination's host.
 */
export function httpEndpoint(url: string, options: HttpEndpointOptions = {}): CopyEndpoint {
  const concurrency = options.concurrency ?? 8;
  const client = new HttpClient({ ...options, concurrency });
  const crawlFrom = (context: CopyReadContext, missingStartIsEmpty: boolean) =>
    crawl({
      client,
      start: url,
      schema: context.schema,
      follow: options.follow ?? [],
      maxDepth: options.maxDepth ?? 3,
      paginate: options.paginate ?? true,
      concurrency,
      missingStartIsEmpty,
      warn: context.warn,
    });
  return {
    label: url,
    ordered: true,
    async *read(context) {
      for await (const page of crawlFrom(context, false)) yield* page;
    },
    async open(context) {
      const existing = new Map<string, string>();
      const uris = new Map<string, string>();
      for await (const page of crawlFrom(context, true)) {
        for (const resource of page) {
          existing.set(resource.key, resource.hash);
          uris.set(resource.key, targetUrl(resource, url));
        }
      }
      return createSession(client, url, options.batchSize ?? 1, concurrency, existing, uris);
    },
  };
}

/** The resource's uri on the destination's host; a uri-less resource goes under the URL. */
function targetUrl(resource: ResourceHead, destination: string): string {
  const base = new URL(destination);
  if (resource.uri === undefined) {
    const dir = base.pathname.endsWith('/') ? base : new URL(`${base.pathname}/`, base);
    return new URL(`${encodeURIComponent(resource.type)}/${encodeURIComponent(resource.id)}`, dir)
      .href;
  }
  const target = new URL(resource.uri, base);
  target.protocol = base.protocol;
  target.host = base.host;
  return target.href;
}

function createSession(
  client: HttpClient,
  url: string,
  batchSize: number,
  concurrency: number,
  existing: ReadonlyMap<string, string>,
  uris: ReadonlyMap<string, string>,
): CopyTargetSession {
  return {
    existing,
    fingerprint: (resource) => resource.hash,
    async apply(plan: CopyPlan, context: CopyWriteContext): Promise<CopyFailure[]> {
      const failures: CopyFailure[] = [];
      const failedUrls = new Set<string>();
      const batchable = batchSize > 1 ? new BatchSupport(client) : undefined;
      const fail = (resource: StagedResource, error: string) => {
        failures.push({ key: resource.key, error });
        failedUrls.add(targetUrl(resource, url));
        context.onProgress();
      };
      const put = async (resource: StagedResource): Promise<void> => {
        const target = targetUrl(resource, url);
        const blocker = resource.dependsOn
          .map((href) => new URL(href, target).href)
          .find((dependency) => failedUrls.has(dependency));
        if (blocker !== undefined) {
          return fail(resource, `not written: it links to ${blocker}, which failed`);
        }
        const problem = await send(client, 'PUT', target, resource.readText());
        if (problem === undefined) context.onProgress();
        else fail(resource, problem);
      };
      for (const layer of plan.layers) {
        const units = batchable ? batches(layer, batchSize, url) : layer.map((change) => [change]);
        await runPool(
          units,
          concurrency,
          async (unit) => {
            if (unit.length > 1 && batchable) {
              const collection = collectionOf(targetUrl(unit[0]!.resource, url));
              if (await batchable.accepts(collection)) {
                const body = `{"items":[${unit.map((change) => change.resource.readText()).join(',')}]}`;
                const problem = await send(client, 'PATCH', collection, body);
                if (problem === undefined) {
                  for (const _ of unit) context.onProgress();
                  return;
                }
                context.warn(`${problem}; writing the ${unit.length} resources one by one`);
              }
            }
            for (const change of unit) await put(change.resource);
          },
          context.signal,
        );
      }
      failures.push(...(await deleteAll(client, plan.deletes, uris, concurrency, context)));
      return failures;
    },
  };
}

/** Undefined when the server took it; otherwise what went wrong. Auth failures stop the copy. */
async function send(
  client: HttpClient,
  method: 'PUT' | 'PATCH' | 'DELETE',
  target: string,
  body?: string,
): Promise<string | undefined> {
  try {
    const response = await client.request(method, target, {
      ...(body === undefined ? {} : { body, contentType: 'application/json' }),
      accept: ACCEPT,
    });
    if (response.status >= 200 && response.status < 300) return undefined;
    if (method === 'DELETE' && (response.status === 404 || response.status === 410))
      return undefined;
    const problem = `${method} ${target} answered ${response.status}${snippet(response.text)}`;
    if (response.status === 401 || response.status === 403) {
      throw new AuthError(`${problem} (check the --header credentials)`);
    }
    return problem;
  } catch (error) {
    if (error instanceof KeepsyncError || (error as Error).name === 'AbortError') throw error;
    return `${method} ${target} failed after retries: ${describeError(error)}`;
  }
}

/**
 * Deletes in passes: a server may refuse to delete what others still link to (409), so what
 * failed is tried again after the rest, until a pass gets no further.
 */
async function deleteAll(
  client: HttpClient,
  keys: readonly string[],
  uris: ReadonlyMap<string, string>,
  concurrency: number,
  context: CopyWriteContext,
): Promise<CopyFailure[]> {
  let pending = keys.map((key) => ({ key, url: uris.get(key)!, error: '' }));
  while (pending.length > 0) {
    const failed: typeof pending = [];
    await runPool(
      pending,
      concurrency,
      async (item) => {
        const problem = await send(client, 'DELETE', item.url);
        if (problem === undefined) context.onProgress();
        else failed.push({ ...item, error: problem });
      },
      context.signal,
    );
    if (failed.length === pending.length) break;
    pending = failed;
  }
  for (const _ of pending) context.onProgress();
  return pending.map(({ key, error }) => ({ key, error }));
}

/** Consecutive changes of one collection, at most `size` together. */
function batches(layer: readonly CopyChange[], size: number, url: string): CopyChange[][] {
  const units: CopyChange[][] = [];
  let current: CopyChange[] = [];
  let collection = '';
  for (const change of layer) {
    const at = collectionOf(targetUrl(change.resource, url));
    if (current.length === size || (current.length > 0 && at !== collection)) {
      units.push(current);
      current = [];
    }
    collection = at;
    current.push(change);
  }
  if (current.length > 0) units.push(current);
  return units;
}

/** The parent path of a resource URL, segment-aware: /api/users/12 -> /api/users. */
function collectionOf(resourceUrl: string): string {
  const url = new URL(resourceUrl);
  url.search = '';
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
  return url.href;
}

/** Asks each collection once whether it takes `PATCH {items}` (its `Allow` header). */
class BatchSupport {
  readonly #client: HttpClient;
  readonly #answers = new Map<string, Promise<boolean>>();

  constructor(client: HttpClient) {
    this.#client = client;
  }

  accepts(collection: string): Promise<boolean> {
    let answer = this.#answers.get(collection);
    if (!answer) {
      answer = this.#client.request('OPTIONS', collection).then(
        (response) =>
          response.status < 300 &&
          (response.headers.get('allow') ?? '')
            .split(',')
            .some((method) => method.trim().toUpperCase() === 'PATCH'),
        () => false,
      );
      this.#answers.set(collection, answer);
    }
    return answer;
  }
}
