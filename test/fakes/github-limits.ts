import type { FakeResponse } from './fake-server.js';

const LIMITS_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';

export interface PrimaryRateLimit {
  /** Requests per window. @default 5000 (a token's hourly limit) */
  readonly limit?: number;
  /** The window starts at its first request and lasts this long. @default 3_600_000 */
  readonly windowMs?: number;
  /** GitHub answers an exhausted primary limit with 403 or 429. @default 403 */
  readonly status?: 403 | 429;
}

/**
 * GitHub's rate limits as its docs describe them: a primary limit per window, told on every
 * answer (`x-ratelimit-*`), answered with 403/429, `x-ratelimit-remaining: 0` and the reset
 * time but no `retry-after` once used up; and secondary limits, which GitHub may answer with
 * or without `retry-after` (without it, clients are to wait at least a minute).
 */
export class GitHubRateLimits {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #status: 403 | 429;
  #windowStart: number | undefined;
  #used = 0;
  #secondary: { left: number; status: 403 | 429; retryAfterSeconds: number | undefined }[] = [];

  constructor(primary: PrimaryRateLimit = {}) {
    this.#limit = primary.limit ?? 5000;
    this.#windowMs = primary.windowMs ?? 3_600_000;
    this.#status = primary.status ?? 403;
  }

  /** The next `times` requests meet a secondary limit. */
  secondary(options: { times?: number; status?: 403 | 429; retryAfterSeconds?: number }): void {
    this.#secondary.push({
      left: options.times ?? 1,
      status: options.status ?? 429,
      retryAfterSeconds: options.retryAfterSeconds,
    });
  }

  /** Ends the primary window now, as the hour passing would. */
  resetPrimary(): void {
    this.#windowStart = undefined;
  }

  /** When the primary window resets (epoch ms), once a request started one. */
  get primaryResetAt(): number | undefined {
    return this.#windowStart === undefined ? undefined : this.#windowStart + this.#windowMs;
  }

  /** Counts a request: its rate-limit headers, and the limit's answer when one applies. */
  take(): { headers: Record<string, string>; refused: FakeResponse | undefined } {
    const now = Date.now();
    if (this.#windowStart === undefined || now >= this.#windowStart + this.#windowMs) {
      this.#windowStart = now;
      this.#used = 0;
    }
    const headers = (used: number): Record<string, string> => ({
      'x-ratelimit-limit': String(this.#limit),
      'x-ratelimit-remaining': String(Math.max(0, this.#limit - used)),
      'x-ratelimit-used': String(Math.min(used, this.#limit)),
      'x-ratelimit-reset': String(Math.ceil((this.#windowStart! + this.#windowMs) / 1000)),
      'x-ratelimit-resource': 'core',
    });
    if (this.#used >= this.#limit) {
      const status = this.#status;
      return {
        headers: headers(this.#used),
        refused: {
          status,
          body: {
            message:
              'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
            documentation_url: LIMITS_DOCS,
            status: String(status),
          },
        },
      };
    }
    this.#used++;
    const secondary = this.#secondary[0];
    if (secondary) {
      if (--secondary.left <= 0) this.#secondary.shift();
      return {
        headers: headers(this.#used),
        refused: {
          status: secondary.status,
          body: {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
            documentation_url: LIMITS_DOCS,
            status: String(secondary.status),
          },
          headers:
            secondary.retryAfterSeconds === undefined
              ? {}
              : { 'retry-after': String(secondary.retryAfterSeconds) },
        },
      };
    }
    return { headers: headers(this.#used), refused: undefined };
  }
}
