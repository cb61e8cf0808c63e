import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { type FakeRequest, type FakeResponse, FakeServer } from './fake-server.js';

export type FakeToolHandler = (
  args: Record<string, unknown>,
) => CallToolResult | Promise<CallToolResult>;

/** A tool call as the fake saw it. */
export interface SeenToolCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
}

/** Counts tool calls that change data as writes: every MCP request is a POST to one path. */
export class McpFakeServer extends FakeServer {
  readonly calls: SeenToolCall[] = [];
  writeTools = new Set<string>();

  override writes(): number {
    return this.calls.filter((call) => this.writeTools.has(call.tool)).length;
  }

  override resetCounts(): void {
    super.resetCounts();
    this.calls.length = 0;
  }
}

export interface FakeMcpOptions {
  readonly name: string;
  /** Bearer tokens accepted; a function decides per token (an OAuth fake's access tokens). */
  readonly isValidToken: (token: string | undefined) => boolean;
  /** The authorization server to name in the protected-resource metadata (RFC 9728). */
  readonly authorizationServer?: (() => string) | undefined;
}

/**
 * A hosted MCP server as the SDK's own server side runs one: McpServer over the web-standard
 * Streamable HTTP transport, stateless, JSON answers, mounted in the shared FakeServer so that
 * 429 + Retry-After, injected 5xx, dropped answers and request counts work as for every fake.
 * A missing or dead token gets 401 with `WWW-Authenticate: Bearer resource_metadata=…`.
 */
export class FakeMcp {
  readonly server: McpFakeServer;
  readonly #tools = new Map<string, FakeToolHandler>();
  readonly #options: FakeMcpOptions;
  readonly #lost = new Map<string, number>();

  constructor(options: FakeMcpOptions) {
    this.#options = options;
    this.server = new McpFakeServer({
      name: options.name,
      errorBody: (status, code, message) => ({ error: code, status, message }),
    });
    this.server.route('POST', '/mcp', (request) => this.#serve(request));
    // Stateless: no server-sent stream to open, no session to end.
    this.server.route('GET', '/mcp', () => ({ status: 405, headers: { allow: 'POST' } }));
    this.server.route('GET', '/.well-known/oauth-protected-resource/mcp', () => ({
      status: 200,
      body: {
        resource: this.url,
        authorization_servers: this.#options.authorizationServer
          ? [this.#options.authorizationServer()]
          : [],
        bearer_methods_supported: ['header'],
      },
    }));
  }

  /** The MCP endpoint. */
  get url(): string {
    return `${this.server.url}/mcp`;
  }

  get calls(): readonly SeenToolCall[] {
    return this.server.calls;
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Registers a tool; `writes` marks it as one that changes data (counted by `server.writes()`). */
  tool(name: string, handler: FakeToolHandler, options: { writes?: boolean } = {}): this {
    this.#tools.set(name, handler);
    if (options.writes) this.server.writeTools.add(name);
    return this;
  }

  /**
   * The next `times` calls of `tool` are applied, then answered with a gateway's 502: the
   * write happened but the client never learns it (a lost answer).
   */
  loseAnswers(tool: string, times = 1): void {
    this.#lost.set(tool, times);
  }

  async #serve(request: FakeRequest): Promise<FakeResponse> {
    if (!this.#options.isValidToken(request.token)) {
      return {
        status: 401,
        body: { error: 'invalid_token', error_description: 'Missing or expired access token' },
        headers: {
          'www-authenticate': `Bearer error="invalid_token", resource_metadata="${this.server.url}/.well-known/oauth-protected-resource/mcp"`,
        },
      };
    }
    const mcp = new McpServer({ name: this.#options.name, version: '1.0.0' });
    for (const [name, handler] of this.#tools) {
      mcp.registerTool(name, { inputSchema: z.object({}).passthrough() }, async (args) => {
        this.server.calls.push({ tool: name, args: args as Record<string, unknown> });
        return handler(args as Record<string, unknown>);
      });
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await mcp.connect(transport);
    const headers = new Headers();
    for (const [key, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers.set(key, value);
    }
    const answer = await transport.handleRequest(
      new Request(this.url, { method: 'POST', headers, body: JSON.stringify(request.body) }),
      { parsedBody: request.body },
    );
    const text = await answer.text();
    await mcp.close();
    const called = (request.body as { method?: string; params?: { name?: string } } | undefined)
      ?.params?.name;
    const lose = called === undefined ? 0 : (this.#lost.get(called) ?? 0);
    if (lose > 0 && (request.body as { method?: string }).method === 'tools/call') {
      this.#lost.set(called!, lose - 1);
      return { status: 502, body: { error: 'bad_gateway', message: 'upstream timed out' } };
    }
    const passHeaders: Record<string, string> = {};
    answer.headers.forEach((value, key) => {
      if (key !== 'content-length') passHeaders[key] = value;
    });
    return {
      status: answer.status,
      body: text ? (JSON.parse(text) as unknown) : undefined,
      headers: passHeaders,
    };
  }
}

/** A tool result carrying JSON as text, as hosted servers answer. */
export function jsonResult(message: string, data: unknown): CallToolResult {
  return { content: [{ type: 'text', text: `${message}\n${JSON.stringify(data)}` }] };
}

/** A tool result with `isError: true`, as a hosted server reports a refused operation. */
export function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}
