/// <reference lib="dom" />
import { SyncClientError } from './errors.js';
import type { BaseDocument, DocumentData, WireChange, WireResult } from './types.js';

/** What the app hands the client to prove who it is. */
export type GetToken = (context: {
  /** `unauthorized` when the server refused the last token: fetch a fresh one. */
  readonly reason: 'initial' | 'unauthorized';
}) => string | null | undefined | Promise<string | null | undefined>;

export interface PushChange {
  readonly id: string;
  readonly collection: string;
  readonly operation: 'upsert' | 'delete';
  readonly doc_id: string;
  readonly data: DocumentData | null;
  readonly parent_version: string | null;
  readonly hlc: string;
}

export type PullAnswer =
  | { readonly kind: 'changes'; changes: WireChange[]; lastSeq: string; hasMore: boolean }
  | { readonly kind: 'full_resync_required' };

export interface TransportOptions {
  readonly baseUrl: string;
  readonly collections: readonly string[];
  readonly fetch: typeof fetch;
  readonly getToken: GetToken | undefined;
  /** Aborts requests in flight when the client closes. */
  readonly signal: AbortSignal;
  /** The device's clock, to time requests. */
  readonly now: () => number;
  /** An answer carried the server's clock (`server_hlc`), sent between these device times. */
  readonly onServerClock: (serverHlc: string, sentAt: number, receivedAt: number) => void;
}

/** HTTP side of the protocol: push, pull and the NDJSON full resync, with token refresh on 401. */
export class Transport {
  readonly #options: TransportOptions;
  #token: Promise<string | null> | null = null;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /** The current token (asking `getToken` the first time). */
  token(): Promise<string | null> {
    this.#token ??= this.#fetchToken('initial');
    return this.#token;
  }

  /** Forgets the token and asks `getToken` for a fresh one. */
  refreshToken(): Promise<string | null> {
    this.#token = this.#fetchToken('unauthorized');
    return this.#token;
  }

  async #fetchToken(reason: 'initial' | 'unauthorized'): Promise<string | null> {
    const getToken = this.#options.getToken;
    if (!getToken) return null;
    try {
      return (await getToken({ reason })) ?? null;
    } catch (error) {
      this.#token = null;
      throw new SyncClientError('AUTH_FAILED', 'getToken() failed', { cause: error });
    }
  }

  async #request(path: string, init: RequestInit): Promise<Response> {
    let response = await this.#send(path, init, await this.token());
    if (response.status === 401 && this.#options.getToken) {
      await response.body?.cancel().catch(() => {});
      response = await this.#send(path, init, await this.refreshToken());
    }
    if (!response.ok) throw await errorOf(response, path);
    return response;
  }

  async #send(path: string, init: RequestInit, token: string | null): Promise<Response> {
    const signal = this.#options.signal;
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    try {
      return await this.#options.fetch(`${this.#options.baseUrl}${path}`, {
        ...init,
        headers,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new SyncClientError('OFFLINE', `The sync server did not answer ${path.split('?')[0]}`, {
        cause: error,
      });
    }
  }

  async push(clientId: string, changes: readonly PushChange[]): Promise<WireResult[]> {
    const sentAt = this.#options.now();
    const response = await this.#request('/sync/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId, changes }),
    });
    const receivedAt = this.#options.now();
    const body = (await response.json()) as { results: WireResult[]; server_hlc?: string };
    this.#serverClock(body.server_hlc, sentAt, receivedAt);
    return body.results;
  }

  #serverClock(serverHlc: unknown, sentAt: number, receivedAt: number): void {
    if (typeof serverHlc === 'string') this.#options.onServerClock(serverHlc, sentAt, receivedAt);
  }

  async pull(since: string, limit: number): Promise<PullAnswer> {
    const query = new URLSearchParams({
      since,
      limit: String(limit),
      collections: this.#options.collections.join(','),
    });
    const sentAt = this.#options.now();
    const response = await this.#request(`/sync/pull?${query}`, { method: 'GET' });
    const receivedAt = this.#options.now();
    const body = (await response.json()) as {
      changes?: WireChange[];
      last_seq?: string;
      has_more?: boolean;
      full_resync_required?: boolean;
      server_hlc?: string;
    };
    this.#serverClock(body.server_hlc, sentAt, receivedAt);
    if (body.full_resync_required) return { kind: 'full_resync_required' };
    return {
      kind: 'changes',
      changes: body.changes ?? [],
      lastSeq: body.last_seq ?? since,
      hasMore: body.has_more === true,
    };
  }

  /**
   * One response of `/sync/full` (NDJSON), from `cursor` (null: the start), at most `limit`
   * documents: every `batchSize` documents go to `onBatch` as they arrive, the rest come back
   * with the next cursor (null after the last page) and the `X-Sync-LastSeq` to pull from
   * afterwards. The response must end with the server's end line: a stream cut anywhere before
   * it is an error, never a short page.
   */
  async fullPage(
    cursor: string | null,
    limit: number,
    onBatch: (documents: BaseDocument[]) => Promise<void>,
    batchSize = 2000,
  ): Promise<FullPage> {
    const query = new URLSearchParams({
      collections: this.#options.collections.join(','),
      limit: String(limit),
      end_marker: 'true',
    });
    if (cursor) query.set('cursor', cursor);
    // Node's fetch was seen to stall before the end of a gzip NDJSON stream (see bench/README);
    // browsers drop this header and decompress natively, so it only changes Node clients.
    const response = await this.#request(`/sync/full?${query}`, {
      method: 'GET',
      headers: { 'accept-encoding': 'identity' },
    });
    const lastSeq = response.headers.get('x-sync-lastseq') ?? '0';
    const next = response.headers.get('x-sync-cursor');
    let batch: BaseDocument[] = [];
    let received = 0;
    let ended = false;
    for await (const line of ndjsonLines(response)) {
      const row = parseLine(line);
      if (row.type === 'end') {
        if (row.count !== received) throw cutStream(`${received} of ${row.count} documents`);
        ended = true;
        break;
      }
      received += 1;
      batch.push({
        collection: row.collection,
        docId: row.doc_id,
        version: row.version,
        deleted: row.deleted,
        data: row.deleted ? null : row.data,
      });
      if (batch.length >= batchSize) {
        await onBatch(batch);
        batch = [];
      }
    }
    if (!ended) throw cutStream(`${received} documents and no end line`);
    return { rest: batch, next, lastSeq };
  }
}

/** What is left of one `/sync/full` response once its batches were handed over. */
export interface FullPage {
  readonly rest: BaseDocument[];
  /** Where the next page starts; null after the last one. */
  readonly next: string | null;
  readonly lastSeq: string;
}

type FullLine =
  | { readonly type: 'end'; readonly count: number }
  | {
      readonly type?: undefined;
      readonly collection: string;
      readonly doc_id: string;
      readonly version: string;
      readonly deleted: boolean;
      readonly data: DocumentData | null;
    };

function parseLine(line: string): FullLine {
  try {
    return JSON.parse(line) as FullLine;
  } catch (error) {
    throw cutStream('a line that is not JSON', error);
  }
}

function cutStream(what: string, cause?: unknown): SyncClientError {
  return new SyncClientError(
    'SYNC_FAILED',
    `The /sync/full stream was cut (${what}); the full resync is retried`,
    { cause },
  );
}

/** The lines of an NDJSON body; stopping early cancels the rest of the body. */
async function* ndjsonLines(response: Response): AsyncGenerator<string> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let finished = false;
  try {
    let rest = '';
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += value;
      let start = 0;
      let end = rest.indexOf('\n', start);
      while (end >= 0) {
        if (end > start) yield rest.slice(start, end);
        start = end + 1;
        end = rest.indexOf('\n', start);
      }
      rest = rest.slice(start);
    }
    finished = true;
    // A last line without its newline is a line cut short: yielded, it fails to parse.
    if (rest.trim() !== '') yield rest;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

async function errorOf(response: Response, path: string): Promise<SyncClientError> {
  let serverCode: string | undefined;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    serverCode = body.error?.code;
    if (body.error?.message) message = body.error.message;
  } catch {}
  const where = path.split('?')[0];
  const code = response.status === 401 || response.status === 403 ? 'AUTH_FAILED' : 'SYNC_FAILED';
  return new SyncClientError(code, `${where} failed with ${response.status}: ${message}`, {
    status: response.status,
    ...(serverCode ? { serverCode } : {}),
  });
}
