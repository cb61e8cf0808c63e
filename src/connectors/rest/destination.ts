import { HttpClient, snippet } from '../../copy/index.js';
import {
  AuthError,
  canonicalJson,
  describeError,
  KeepsyncError,
  type SyncRecord,
} from '../../model/index.js';
import { RetryableError } from '../../net/index.js';
import {
  checkOptions,
  type Destination,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { destinationSchema } from './options-schema.js';
import { postCreator } from './post-create.js';

/** Creates by POST, for APIs that choose the new resource's id themselves. */
export interface RestCreateOptions {
  /** The collection a create is POSTed to, e.g. `https://api.example.com/v1/items`. */
  url: string;
  /** A body field every write carries the record key in (e.g. `external_id`), for `findUrl`. */
  keyField?: string;
  /**
   * Where the new id is in the POST's answer (a JSON path such as `id` or `data.id`); without
   * it, the last segment of the answer's `Location` header.
   */
  idPath?: string;
  /**
   * A URL that finds the resource written for a key, `{key}` replaced (URL-encoded), e.g.
   * `https://api.example.com/v1/items?external_id={key}`, for an API that stores the key in a
   * field and filters by it. It is asked for keys without a link and before a POST whose
   * answer was lost is repeated, so neither a lost answer nor a crash creates twice.
   * Without it, keepsync commits each create's link as soon as it is answered, and a lost
   * answer or a crash between the POST and that commit can create the resource twice.
   */
  findUrl?: string;
  /** Where the found resources are in `findUrl`'s answer. @default the answer, or its `items`/`data`/… list */
  findRecords?: string;
  /** The id of a found resource. @default 'id' */
  findIdPath?: string;
}

export interface RestDestinationOptions {
  /**
   * The URL of one record's resource; `{key}` is replaced by the record key (URL-encoded),
   * e.g. `https://api.example.com/v1/items/{key}`. A create is a write to it, so a repeated
   * create (a lost answer, a lost store) writes the same resource again: no duplicates.
   * With `create`, `{id}` is replaced by the id the service gave the resource instead.
   */
  url: string;
  /** Create by POST to a collection; the created id is kept in keepsync's links. */
  create?: RestCreateOptions;
  /** `PUT` replaces the resource with the record's fields; `PATCH` sends only what changed. @default 'PUT' */
  method?: 'PUT' | 'PATCH';
  /** The property the record's body is sent in; omitted = the body is not sent. */
  bodyField?: string;
  /** What `deletes: 'archive'` sends: these fields, merged by a PATCH. Without it archive is refused. */
  archive?: Readonly<Record<string, string | number | boolean | null>>;
  /**
   * A URL read once per session before any write (e.g. `…/v1/me` or the listing), so a
   * refused credential pauses the run before it sends a single write.
   */
  checkUrl?: string;
  /** Request headers, e.g. `{ Authorization: 'Bearer …' }` (never logged). */
  headers?: Readonly<Record<string, string>>;
  /** @default unlimited */
  requestsPerSecond?: number;
  /** @default 4 */
  concurrency?: number;
  /** Retries of 429 (after Retry-After), 5xx and connection errors. @default 5 */
  retries?: number;
  /** @default 250 */
  retryMinDelayMs?: number;
  /** @default 'rest' */
  name?: string;
}

/**
 * Writes records to a JSON API as one resource per key, through `keepsync copy`'s HTTP client
 * (src/copy on src/net: limiter, retry, Retry-After). Deletes send DELETE (a 404 is already
 * gone); 401/403 pause; another 4xx is that record's dead letter with the service's answer.
 */
export function destination(options: RestDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'rest.destination');
  const placeholder = options.create ? '{id}' : '{key}';
  if (!options.url?.includes(placeholder)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected rest.destination \`url\` to contain \`${placeholder}\`${options.create ? ' (the id a create answers with)' : ''}, got \`${options.url}\``,
    );
  }
  if (options.create && !options.create.url) {
    throw new KeepsyncError('CONFIG_INVALID', 'rest.destination `create` needs `url`');
  }
  if (options.create?.findUrl !== undefined && !options.create.findUrl.includes('{key}')) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected rest.destination \`create.findUrl\` to contain \`{key}\`, got \`${options.create.findUrl}\``,
    );
  }
  const method = options.method ?? 'PUT';
  return {
    name: options.name ?? 'rest',
    async open(context) {
      const client = new HttpClient({
        headers: options.headers,
        concurrency: options.concurrency ?? 4,
        requestsPerSecond: options.requestsPerSecond,
        retry: { retries: options.retries ?? 5, minDelayMs: options.retryMinDelayMs ?? 250 },
        signal: context.signal,
        onRetry: ({ retryAfterMs }) => {
          context.telemetry.retried();
          if (retryAfterMs) context.telemetry.waitedForRateLimit(retryAfterMs);
        },
      });
      let refused: string | null = null;
      // The resource of a write: by key, or (with `create`) by the id the service gave it.
      const urlOf = (id: string) => options.url.replaceAll(placeholder, encodeURIComponent(id));

      async function send(
        verb: 'PUT' | 'PATCH' | 'DELETE',
        id: string,
        body?: unknown,
        key = id,
      ): Promise<number> {
        const url = urlOf(id);
        const response = await client.request(verb, url, {
          accept: 'application/json',
          ...(body === undefined
            ? {}
            : { body: canonicalJson(body), contentType: 'application/json' }),
        });
        if (response.status === 401 || response.status === 403) {
          throw new AuthError(`REST ${verb} ${url} was refused (${response.status})`);
        }
        if (response.status >= 400 && !(verb === 'DELETE' && response.status === 404)) {
          throw new KeepsyncError(
            'RECORD_INVALID',
            `REST ${verb} ${url} answered ${response.status}${snippet(response.text)} (record ${key})`,
          );
        }
        return response.status;
      }

      if (options.checkUrl) {
        const response = await client.request('GET', options.checkUrl, {
          accept: 'application/json',
        });
        if (response.status === 401 || response.status === 403) {
          throw new AuthError(`REST GET ${options.checkUrl} was refused (${response.status})`);
        }
      }

      function payload(record: SyncRecord): Record<string, unknown> {
        const fields: Record<string, unknown> = { ...record.fields };
        if (options.create?.keyField) fields[options.create.keyField] = record.key;
        if (options.bodyField && record.body !== undefined) fields[options.bodyField] = record.body;
        return fields;
      }

      const creator = options.create ? postCreator(client, options.create) : undefined;

      async function writeOne(op: WriteOp): Promise<WriteResult> {
        switch (op.kind) {
          case 'create':
            if (creator)
              return { status: 'ok', destId: await creator.create(op.key, payload(op.record)) };
            await send('PUT', op.key, payload(op.record));
            return { status: 'ok', destId: op.key };
          case 'update':
            // An update carries the whole record but its create-only fields: with those, PATCH.
            await send(method, op.destId, payload(op.record), op.key);
            return { status: 'ok', destId: op.destId };
          case 'archive':
            if (!options.archive) {
              return {
                status: 'rejected',
                error: `rest.destination has no \`archive\` fields to send; use \`deletes: 'delete'\` (record ${op.key})`,
              };
            }
            await send('PATCH', op.destId, options.archive, op.key);
            return { status: 'ok', destId: op.destId };
          case 'delete':
            await send('DELETE', op.destId, undefined, op.key);
            return { status: 'ok', destId: op.destId };
        }
      }

      return {
        createsUpsertByKey: creator === undefined,
        // Without a way to find a created resource again, only the link knows it.
        linksEachCreate: creator !== undefined && !options.create?.findUrl,
        async lookup(keys) {
          return creator ? creator.lookup(keys) : new Map();
        },
        async write(ops) {
          return Promise.all(
            ops.map(async (op): Promise<WriteResult> => {
              if (refused !== null) return { status: 'auth', error: refused };
              try {
                return await writeOne(op);
              } catch (error) {
                if (error instanceof AuthError) {
                  refused = error.message;
                  return { status: 'auth', error: refused };
                }
                if (error instanceof KeepsyncError && error.code === 'RECORD_INVALID') {
                  return { status: 'rejected', error: error.message };
                }
                if (error instanceof KeepsyncError && error.code === 'CONFIG_INVALID') {
                  return { status: 'unavailable', error: error.message };
                }
                if (error instanceof RetryableError) {
                  return {
                    status: 'retryable',
                    error: error.message,
                    ...(error.retryAfterMs !== undefined
                      ? { retryAfterMs: error.retryAfterMs }
                      : {}),
                  };
                }
                return { status: 'retryable', error: describeError(error) };
              }
            }),
          );
        },
        async close() {},
      };
    },
  };
}
