import { KeepsyncError } from '../../model/index.js';

/** How both sides reach Luma. */
export interface LumaConnection {
  /** A Luma calendar API key (Luma Plus), sent as `x-luma-api-key`. */
  apiKey: string;
  /** @default 'https://public-api.luma.com' */
  baseUrl?: string;
  /**
   * Requests per minute for this key, shared by every pipeline using it. Luma allows 200 for a
   * calendar key and 500 for an organization key; over it the key is blocked for a minute.
   * @default 200
   */
  requestsPerMinute?: number;
  /** Retries of a 429, a 5xx or a lost answer. @default 5 */
  retries?: number;
  /** First retry delay; later ones back off. @default 500 */
  retryMinDelayMs?: number;
  /** @default 30_000 */
  timeoutMs?: number;
}

export interface ResolvedConnection {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly requestsPerMinute: number;
  readonly retries: number;
  readonly retryMinDelayMs: number;
  readonly timeoutMs: number;
}

export function resolveConnection(options: LumaConnection, where: string): ResolvedConnection {
  if (!options.apiKey) throw new KeepsyncError('CONFIG_INVALID', `${where} needs \`apiKey\``);
  const requestsPerMinute = options.requestsPerMinute ?? 200;
  if (!(requestsPerMinute > 0)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`requestsPerMinute\` to be above 0, got ${requestsPerMinute}`,
    );
  }
  return {
    apiKey: options.apiKey,
    baseUrl: options.baseUrl ?? 'https://public-api.luma.com',
    requestsPerMinute,
    retries: options.retries ?? 5,
    retryMinDelayMs: options.retryMinDelayMs ?? 500,
    timeoutMs: options.timeoutMs ?? 30_000,
  };
}
