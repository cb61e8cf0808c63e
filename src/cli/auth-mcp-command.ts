import { randomBytes } from 'node:crypto';
import { KeepsyncError } from '../model/index.js';
import { catchRedirect } from './auth-command.js';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';

export interface AuthMcpOptions extends GlobalOptions {
  connection?: string;
  port?: string;
  timeout?: string;
  allowHost?: string[];
  allowLoopback?: boolean;
}

/**
 * `keepsync auth mcp <url>`: OAuth 2.1 for an MCP server. Discovery, dynamic registration,
 * PKCE and the code exchange run through the SDK; the consent URL is printed, the redirect is
 * caught on 127.0.0.1, and the client and tokens are stored encrypted in the config's store.
 */
export async function authMcpCommand(
  url: string | undefined,
  options: AuthMcpOptions,
): Promise<number> {
  if (!url) {
    throw new KeepsyncError('CONFIG_INVALID', 'keepsync auth mcp needs the MCP server URL');
  }
  let serverUrl: URL;
  try {
    serverUrl = new URL(url);
  } catch {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `keepsync auth mcp: ${JSON.stringify(url)} is not a URL`,
    );
  }
  const { importPeer } = await import('../connectors/support/index.js');
  const mcp = await importPeer(
    '@modelcontextprotocol/sdk',
    'MCP',
    () => import('../connectors/support/mcp/index.js'),
  );
  const connection = mcp.checkMcpConnectionName(
    options.connection ?? serverUrl.hostname.replace(/[^A-Za-z0-9_.-]/g, '-'),
  );
  const { openContext } = await import('./context.js');
  const context = await openContext(options);
  const stop = new AbortController();
  try {
    const state = randomBytes(16).toString('base64url');
    let listening: (redirectUri: string) => void = () => {};
    const redirectUri = new Promise<string>((resolve) => {
      listening = resolve;
    });
    const redirect = catchRedirect({
      port: Number(options.port ?? 8788),
      state,
      timeoutMs: Number(options.timeout ?? 300) * 1000,
      onListening: listening,
      signal: stop.signal,
    });
    redirect.catch(() => {});
    await mcp.authorizeMcp({
      serverUrl,
      connection,
      store: context.store,
      allowHosts: options.allowHost,
      allowLoopback: options.allowLoopback,
      redirectUrl: await Promise.race([redirectUri, redirect.then(() => '')]),
      state,
      onAuthorizationUrl: (consent) => {
        process.stdout.write(`Open this URL to authorize ${connection}:\n${consent}\n`);
        process.stderr.write('Waiting for the redirect ...\n');
      },
      waitForCode: async () => (await redirect).code,
    });
    process.stdout.write(
      `Authorized ${connection}: client and tokens stored encrypted in the store. Use auth: { connection: '${connection}', store } in the connector's MCP options.\n`,
    );
    return EXIT.ok;
  } finally {
    stop.abort(new KeepsyncError('AUTH_FAILED', 'The MCP authorization stopped'));
    await context.store.close();
  }
}
