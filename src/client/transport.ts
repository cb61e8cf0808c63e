/// <reference lib="dom" />
import { SyncClientError } from './errors.js';
import { type FullResponse, fullResponse } from './full-stream.js';
import type { DocumentData, WireChange, WireResult } from './types.js';

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
   * Asks for one response of `/sync/full` from `cursor` (null: the start), at most `limit`
   * documents, and resolves once its headers are in; the body is read by the caller.
   */
  async openFull(cursor: string | null, limit: number): Promise<FullResponse> {
    const query = new URLSearchParams({
      collections: this.#options.collections.join(','),
      limit: String(limit),
      end_marker: 'true',
      format: 'rows',
    });
    if (cursor) query.set('cursor', cursor);
    // Node's fetch was seen to stall before the end of a gzip NDJSON stream (see bench/README);
    // browsers drop this header and decompress natively, so it only changes Node clients.
    const response = await this.#request(`/sync/full?${query}`, {
      method: 'GET',
      headers: { 'accept-encoding': 'identity' },
    });
    return fullResponse(response);
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
