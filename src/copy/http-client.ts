import { describeError } from '../model/index.js';
import {
  parseRetryAfter,
  RateLimiter,
  RetryableError,
  type RetryOptions,
  withRetry,
} from '../net/index.js';
import { ConnectionError, ConnectionPool } from './http-pool.js';

export interface HttpClientOptions {
  /** Extra request headers, e.g. `Authorization`. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Requests in flight at once. @default 8 */
  concurrency?: number | undefined;
  /** Requests started per second. @default unlimited */
  requestsPerSecond?: number | undefined;
  /** Retries of connection errors, 5xx and 429. @default { retries: 5 } */
  retry?: Pick<RetryOptions, 'retries' | 'minDelayMs' | 'maxDelayMs'> | undefined;
  signal?: AbortSignal | undefined;
  /** Told before each retry, so a caller can show that the copy is waiting, not stuck. */
  onRetry?: ((notice: HttpRetryNotice) => void) | undefined;
}

export interface HttpRetryNotice {
  /** What failed, e.g. "GET https://… answered 429". */
  readonly reason: string;
  /** The wait the service asked for (Retry-After); undefined when it named none. */
  readonly retryAfterMs: number | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Writes go over pooled keep-alive connections; reads go through fetch, which follows redirects. */
const POOLED_METHODS = new Set(['PUT', 'PATCH', 'DELETE']);

/** A 429: the service refused the request before carrying it out. */
class RefusedError extends RetryableError {}

export interface HttpRequestInit {
  body?: string;
  contentType?: string;
  accept?: string;
  /**
   * For a POST: after an attempt the service may have carried out (no answer, a 5xx), this
   * looks for its result before the POST is sent again; an answer found is the result.
   */
  recover?: () => Promise<HttpResponse | undefined>;
}

/**
 * Sends requests through one limiter (concurrency, and a pause of everything on Retry-After)
 * and retries connection errors, 5xx and 429. A POST is made safe to retry by `recover`.
 */
export class HttpClient {
  readonly #headers: Readonly<Record<string, string>>;
  readonly #limiter: RateLimiter;
  readonly #retry: HttpClientOptions['retry'];
  readonly #signal: AbortSignal | undefined;
  readonly #onRetry: HttpClientOptions['onRetry'];
  readonly #pool: ConnectionPool;

  constructor(options: HttpClientOptions = {}) {
    this.#onRetry = options.onRetry;
    this.#pool = new ConnectionPool(options.concurrency ?? 8);
    this.#headers = options.headers ?? {};
    this.#limiter = new RateLimiter({
      concurrency: options.concurrency ?? 8,
      ...(options.requestsPerSecond ? { requestsPerSecond: options.requestsPerSecond } : {}),
    });
    this.#retry = options.retry;
    this.#signal = options.signal;
  }

  /**
   * The response of the last attempt; statuses other than 5xx/429 are the caller's to judge.
   * A POST is retried too: without `init.recover` a lost answer may then create twice.
   */
  request(
    method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'POST',
    url: string,
    init: HttpRequestInit = {},
  ): Promise<HttpResponse> {
    let mayHaveApplied = false;
    return withRetry(
      async () => {
        if (mayHaveApplied && init.recover) {
          const found = await init.recover();
          if (found) return found;
        }
        try {
          return await this.#limiter.schedule(() => this.#once(method, url, init), {
            signal: this.#signal,
          });
        } catch (error) {
          if (error instanceof RetryableError && !(error instanceof RefusedError)) {
            mayHaveApplied = true;
          }
          throw error;
        }
      },
      {
        retries: 5,
        ...this.#retry,
        signal: this.#signal,
        limiter: this.#limiter,
        onRetry: ({ error, delayMs }) =>
          this.#onRetry?.({
            reason: describeError(error),
            retryAfterMs: delayMs > 0 ? delayMs : undefined,
          }),
      },
    );
  }

  async #once(method: string, url: string, init: HttpRequestInit): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...this.#headers };
    if (init.accept) headers.accept = init.accept;
    if (init.contentType) headers['content-type'] = init.contentType;
    let response: { readonly status: number; readonly headers: Headers; text(): Promise<string> };
    try {
      response = POOLED_METHODS.has(method)
        ? answered(await this.#pool.send(method, url, headers, init.body, this.#signal))
        : await fetch(url, {
            method,
            headers,
            ...(init.body === undefined ? {} : { body: init.body }),
            ...(this.#signal ? { signal: this.#signal } : {}),
          });
    } catch (error) {
      if (this.#signal?.aborted) throw error;
      // fetch reports refused and reset connections as a TypeError with the cause inside.
      throw new RetryableError(`${method} ${url} failed: ${connectionProblem(error)}`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (RETRY_STATUSES.has(response.status)) {
      const Failure = response.status === 429 ? RefusedError : RetryableError;
      throw new Failure(`${method} ${url} answered ${response.status}${snippet(text)}`, {
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    return { status: response.status, headers: response.headers, text };
  }
}

/** A pooled answer in the shape of a fetch Response, so both are judged alike. */
function answered(answer: HttpResponse) {
  return { status: answer.status, headers: answer.headers, text: async () => answer.text };
}

function connectionProblem(error: unknown): string {
  if (error instanceof ConnectionError) return error.code;
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : describeError(cause ?? error);
}

/** The start of a response body, for error messages. */
export function snippet(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (trimmed === '') return '';
  return `: ${trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed}`;
}
