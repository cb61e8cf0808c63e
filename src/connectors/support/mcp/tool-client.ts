import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { KeepsyncError } from '../../../model/index.js';
import { type RateLimiter, RetryableError, withRetry } from '../../../net/index.js';
import { mcpFetch } from './auth-fetch.js';
import type { McpCredential } from './credential.js';

/** A tool answered `isError: true`, or refused the call: the record is rejected, not retried. */
export class McpToolError extends KeepsyncError {
  readonly tool: string;
  readonly record: string | undefined;

  constructor(
    tool: string,
    record: string | undefined,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      'DESTINATION_REJECTED',
      `MCP tool ${tool} failed${record === undefined ? '' : ` for record ${record}`}: ${detail}`,
      options,
    );
    this.name = 'McpToolError';
    this.tool = tool;
    this.record = record;
  }
}

/** What a tool returned: its text, and the JSON in it (structured content first). */
export interface McpToolResult {
  readonly text: string;
  readonly json: unknown;
}

export interface McpCallOptions {
  /** The record the call is for, named in errors. */
  readonly record?: string | undefined;
  /**
   * Tries after a failure. A call that creates must pass 0 and decide itself (a lost answer
   * may have been applied). @default the client's `retries`
   */
  readonly retries?: number | undefined;
}

export interface McpToolClient {
  call(
    tool: string,
    args: Record<string, unknown>,
    options?: McpCallOptions,
  ): Promise<McpToolResult>;
  close(): Promise<void>;
}

export interface McpToolClientOptions {
  readonly url: string;
  readonly credential: McpCredential;
  readonly limiter: RateLimiter;
  /** The guarded fetch every request goes through. */
  readonly fetch: typeof fetch;
  /** @default 5 */
  readonly retries?: number | undefined;
  /** @default 250 */
  readonly minDelayMs?: number | undefined;
  /** @default 60_000 */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onRateLimitWait?: ((ms: number) => void) | undefined;
}

/**
 * Tool calls over the SDK's Streamable HTTP client. The session is opened on first use and
 * again after it was lost (a 404 for an expired session, a failed initialize); every request
 * is paced and retried by src/net, and a Retry-After pauses the whole credential.
 */
export function createMcpToolClient(options: McpToolClientOptions): McpToolClient {
  const fetchFn = mcpFetch({
    credential: options.credential,
    limiter: options.limiter,
    base: options.fetch,
    signal: options.signal,
    onRateLimitWait: options.onRateLimitWait,
  });
  let session: Promise<Client> | undefined;

  const open = () => {
    session ??= (async () => {
      const client = new Client({ name: 'keepsync', version: '1' });
      const transport = new StreamableHTTPClientTransport(new URL(options.url), { fetch: fetchFn });
      try {
        await client.connect(transport, { timeout: options.timeoutMs ?? 60_000 });
      } catch (error) {
        session = undefined;
        await client.close().catch(() => {});
        throw error;
      }
      return client;
    })();
    return session;
  };

  const drop = async () => {
    const current = session;
    session = undefined;
    await (await current?.catch(() => undefined))?.close().catch(() => {});
  };

  return {
    async call(tool, args, callOptions = {}) {
      const result = await withRetry(
        async () => {
          const client = await open();
          try {
            return await client.callTool({ name: tool, arguments: args }, undefined, {
              timeout: options.timeoutMs ?? 60_000,
              signal: options.signal,
            });
          } catch (error) {
            throw classify(error, tool, callOptions.record, drop);
          }
        },
        {
          retries: callOptions.retries ?? options.retries ?? 5,
          minDelayMs: options.minDelayMs ?? 250,
          limiter: options.limiter,
          signal: options.signal,
        },
      );
      const text = ((result.content as { type: string; text?: string }[] | undefined) ?? [])
        .filter((item) => item.type === 'text')
        .map((item) => item.text ?? '')
        .join('\n');
      if (result.isError)
        throw new McpToolError(tool, callOptions.record, text || 'isError without text');
      return { text, json: result.structuredContent ?? jsonIn(text) };
    },
    close: drop,
  };
}

/** Maps what the SDK threw onto keepsync's families: retryable, auth, or a rejected record. */
function classify(
  error: unknown,
  tool: string,
  record: string | undefined,
  drop: () => Promise<void>,
): unknown {
  if (error instanceof RetryableError || error instanceof KeepsyncError) return error;
  const code = (error as { code?: unknown })?.code;
  if (error instanceof McpError) {
    if (code === ErrorCode.RequestTimeout || code === ErrorCode.ConnectionClosed) {
      void drop();
      return new RetryableError(`MCP ${tool}: ${error.message}`, { cause: error });
    }
    return new McpToolError(tool, record, error.message, { cause: error });
  }
  // The transport's HTTP errors: a 404 is an expired session, to be opened again.
  if (typeof code === 'number' && (code === 404 || code === -1)) {
    void drop();
    return new RetryableError(`MCP ${tool}: session lost (${code})`, { cause: error });
  }
  return new McpToolError(tool, record, (error as Error)?.message ?? String(error), {
    cause: error,
  });
}

/** The JSON a text result carries: all of it, or the part from the first brace or bracket. */
function jsonIn(text: string): unknown {
  for (const start of [0, text.search(/[[{]/)]) {
    if (start < 0) continue;
    try {
      return JSON.parse(text.slice(start));
    } catch {}
  }
  return undefined;
}
