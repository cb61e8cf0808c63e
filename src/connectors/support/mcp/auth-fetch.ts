import { extractResourceMetadataUrl } from '@modelcontextprotocol/sdk/client/auth.js';
import { AuthError, isKeepsyncError } from '../../../model/index.js';
import { parseRetryAfter, type RateLimiter, RetryableError } from '../../../net/index.js';
import type { McpCredential } from './credential.js';

/**
 * The fetch the SDK's transport sends through: paced by the credential's limiter, the bearer
 * token attached (refreshed once on a 401), and 429/5xx/network failures turned into
 * RetryableError with the server's Retry-After, which the SDK would otherwise drop.
 */
export function mcpFetch(options: {
  readonly credential: McpCredential;
  readonly limiter: RateLimiter;
  readonly base: typeof fetch;
  readonly signal?: AbortSignal | undefined;
  readonly onRateLimitWait?: ((ms: number) => void) | undefined;
}): typeof fetch {
  const { credential, limiter, base } = options;
  const send = (input: RequestInfo | URL, init: RequestInit | undefined, token: string) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return limiter.schedule(
      async () => {
        try {
          return await base(input, { ...init, headers });
        } catch (error) {
          if (isKeepsyncError(error)) throw error;
          throw new RetryableError(`MCP server unreachable: ${describeCause(error)}`, {
            cause: error,
          });
        }
      },
      { signal: options.signal, onWait: undefined },
    );
  };
  return async (input, init) => {
    const token = await credential.current();
    let response = await send(input, init, token);
    if (response.status === 401) {
      const resourceMetadataUrl = extractResourceMetadataUrl(response);
      await response.body?.cancel();
      const fresh = await credential.refresh(token, { resourceMetadataUrl });
      response = await send(input, init, fresh);
      if (response.status === 401) {
        await response.body?.cancel();
        throw new AuthError('The MCP server refused a freshly refreshed token (401)');
      }
    }
    if (response.status === 403) {
      await response.body?.cancel();
      throw new AuthError('The MCP server refused the request (403): the grant lacks access');
    }
    if (response.status === 429 || response.status >= 500 || response.status === 408) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      await response.body?.cancel();
      if (retryAfterMs !== undefined) options.onRateLimitWait?.(retryAfterMs);
      throw new RetryableError(`MCP server answered ${response.status}`, {
        retryAfterMs,
        status: response.status,
      });
    }
    return response;
  };
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
