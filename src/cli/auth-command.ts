import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeepsyncError } from '../model/index.js';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';

export interface AuthCommandOptions extends GlobalOptions {
  /** The OAuth provider. Only `notion` (public integrations) today. */
  provider?: string;
  clientId?: string;
  /** Port of the localhost redirect; it must match the redirect URI registered with the provider. */
  port?: string;
  /** The provider's API base URL (a local fake in tests and the example). */
  apiUrl?: string;
  /** Give up waiting for the browser after this many seconds. */
  timeout?: string;
}

const CLIENT_SECRET_ENV = 'KEEPSYNC_OAUTH_CLIENT_SECRET';

/**
 * `keepsync auth <connection>`: prints the consent URL, catches the redirect on localhost,
 * exchanges the code and stores the tokens encrypted in the config's store. The client secret
 * comes from the environment, never from the command line (it would land in shell history).
 */
export async function authCommand(
  connection: string,
  options: AuthCommandOptions,
): Promise<number> {
  const provider = options.provider ?? 'notion';
  if (provider !== 'notion') {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Unknown OAuth provider ${provider}; available: notion`,
    );
  }
  const clientId = options.clientId ?? process.env.NOTION_CLIENT_ID;
  const clientSecret = process.env[CLIENT_SECRET_ENV] ?? process.env.NOTION_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `keepsync auth needs the integration's client id (--client-id or NOTION_CLIENT_ID) and secret (${CLIENT_SECRET_ENV} or NOTION_CLIENT_SECRET)`,
    );
  }
  const notion = await import('../connectors/notion/index.js');
  const { openContext } = await import('./context.js');
  const context = await openContext(options);
  try {
    const state = randomBytes(16).toString('base64url');
    const port = Number(options.port ?? 8788);
    const timeoutMs = Number(options.timeout ?? 300) * 1000;
    const code = await catchRedirect({
      port,
      state,
      timeoutMs,
      onListening: (redirectUri) => {
        const url = notion.authorizeUrl({ clientId, redirectUri, state, baseUrl: options.apiUrl });
        process.stdout.write(`Open this URL to authorize ${connection}:\n${url}\n`);
        process.stderr.write(`Waiting for the redirect on ${redirectUri} ...\n`);
      },
    });
    const tokens = await notion.exchangeCode(
      { clientId, clientSecret, baseUrl: options.apiUrl },
      { code: code.code, redirectUri: code.redirectUri },
    );
    notion.checkConnectionName(connection);
    await notion.saveTokens(context.store, connection, tokens);
    process.stdout.write(
      `Authorized ${connection}: tokens stored encrypted in the store. Resume paused pipelines with \`keepsync resume <pipeline>\`.\n`,
    );
    return EXIT.ok;
  } finally {
    await context.store.close();
  }
}

/** Serves one OAuth redirect on 127.0.0.1; other paths (a favicon) get 404 and are ignored. */
export function catchRedirect(options: {
  port: number;
  state: string;
  timeoutMs: number;
  onListening: (redirectUri: string) => void;
  /** Stops listening early (the flow failed before the browser came back). */
  signal?: AbortSignal;
}): Promise<{ code: string; redirectUri: string }> {
  return new Promise((resolve, reject) => {
    let redirectUri = '';
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/callback') {
        response.writeHead(404).end();
        return;
      }
      const finish = (status: number, text: string, outcome: () => void) => {
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
        clearTimeout(timer);
        server.close();
        outcome();
      };
      const error = url.searchParams.get('error');
      if (error) {
        return finish(400, `Authorization failed: ${error}`, () =>
          reject(
            new KeepsyncError('AUTH_FAILED', `The provider refused the authorization: ${error}`),
          ),
        );
      }
      if (url.searchParams.get('state') !== options.state) {
        return finish(400, 'State mismatch', () =>
          reject(
            new KeepsyncError(
              'AUTH_FAILED',
              'The redirect carried a different state (possible CSRF); nothing was stored',
            ),
          ),
        );
      }
      const code = url.searchParams.get('code');
      if (!code) {
        return finish(400, 'No code', () =>
          reject(new KeepsyncError('AUTH_FAILED', 'The redirect carried no authorization code')),
        );
      }
      finish(200, 'keepsync is authorized. You can close this tab.', () =>
        resolve({ code, redirectUri }),
      );
    });
    const timer = setTimeout(() => {
      server.close();
      reject(
        new KeepsyncError('AUTH_FAILED', 'No redirect arrived in time; run `keepsync auth` again'),
      );
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      server.close();
      reject(options.signal?.reason);
    });
    server.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new KeepsyncError(
          'CONFIG_INVALID',
          `Cannot listen on 127.0.0.1:${options.port}: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    });
    server.listen(options.port, '127.0.0.1', () => {
      redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
      options.onListening(redirectUri);
    });
  });
}
