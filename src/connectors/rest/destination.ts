import { HttpClient, snippet } from '../../copy/index.js';
import {
  AuthError,
  canonicalJson,
  describeError,
  KeepsyncError,
  type SyncRecord,
} from '../../model/index.js';
import { RetryableError } from '../../net/index.js';
import type { Destination, WriteOp, WriteResult } from '../../sync/index.js';

export interface RestDestinationOptions {
  /**
   * The URL of one record's resource; `{key}` is replaced by the record key (URL-encoded),
   * e.g. `https://api.example.com/v1/items/{key}`. A create is a write to it, so a repeated
   * create (a lost answer, a lost store) writes the same resource again: no duplicates.
   */
  url: string;
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
  if (!options.url?.includes('{key}')) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected rest.destination \`url\` to contain \`{key}\`, got \`${options.url}\``,
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
      const urlOf = (key: string) => options.url.replaceAll('{key}', encodeURIComponent(key));

      async function send(
        verb: 'PUT' | 'PATCH' | 'DELETE',
        key: string,
        body?: unknown,
      ): Promise<number> {
        const url = urlOf(key);
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
        if (options.bodyField && record.body !== undefined) fields[options.bodyField] = record.body;
        return fields;
      }

      async function writeOne(op: WriteOp): Promise<WriteResult> {
        switch (op.kind) {
          case 'create':
          case 'update':
            // An update carries the whole record but its create-only fields: with those, PATCH.
            await send(op.kind === 'create' ? 'PUT' : method, op.key, payload(op.record));
            return { status: 'ok', destId: op.key };
          case 'archive':
            if (!options.archive) {
              return {
                status: 'rejected',
                error: `rest.destination has no \`archive\` fields to send; use \`deletes: 'delete'\` (record ${op.key})`,
              };
            }
            await send('PATCH', op.destId, options.archive);
            return { status: 'ok', destId: op.destId };
          case 'delete':
            await send('DELETE', op.destId);
            return { status: 'ok', destId: op.destId };
        }
      }

      return {
        createsUpsertByKey: true,
        async lookup() {
          return new Map();
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
