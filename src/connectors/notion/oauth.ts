import { AuthError } from '../../model/index.js';
import { createNotionClient } from './client.js';

/** A Notion public integration (its OAuth client). */
export interface NotionOAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** @default 'https://api.notion.com' */
  readonly baseUrl?: string | undefined;
}

/** The consent page a person opens to authorize the integration. */
export function authorizeUrl(options: {
  clientId: string;
  redirectUri: string;
  state: string;
  baseUrl?: string | undefined;
}): string {
  const url = new URL('/v1/oauth/authorize', options.baseUrl ?? 'https://api.notion.com');
  url.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    owner: 'user',
    redirect_uri: options.redirectUri,
    state: options.state,
  }).toString();
  return url.toString();
}

/** Exchanges the code from the redirect for tokens (through @notionhq/client). */
export async function exchangeCode(
  client: NotionOAuthClient,
  request: { code: string; redirectUri: string },
): Promise<{ access_token: string; refresh_token?: string | null }> {
  const sdk = await createNotionClient({ baseUrl: client.baseUrl });
  try {
    return await sdk.token(client, {
      grant_type: 'authorization_code',
      code: request.code,
      redirect_uri: request.redirectUri,
    });
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new AuthError(
      `Notion refused the authorization code (${status ?? 'no response'}); start \`keepsync auth\` again`,
      { cause: error },
    );
  }
}
