import { randomUUID } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../fake-server.js';

/**
 * Notion's OAuth token endpoint for a public integration: authorization codes, and refresh
 * tokens that rotate (a refresh ends the old pair). Access tokens it mints join `tokens`.
 */
export class FakeNotionOAuth {
  readonly codes = new Set<string>();
  /** refresh token -> access token it belongs to. */
  readonly refreshTokens = new Map<string, string>();
  readonly #tokens: Set<string>;

  constructor(tokens: Set<string>) {
    this.#tokens = tokens;
  }

  token(
    { body, headers }: FakeRequest,
    client: { clientId: string; clientSecret: string } | undefined,
  ): FakeResponse {
    const basic = headers.authorization?.startsWith('Basic ')
      ? Buffer.from(headers.authorization.slice(6), 'base64').toString('utf8')
      : '';
    if (!client || basic !== `${client.clientId}:${client.clientSecret}`) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client authentication failed.' },
      };
    }
    const input = (body ?? {}) as { grant_type?: string; code?: string; refresh_token?: string };
    if (input.grant_type === 'authorization_code') {
      if (!input.code || !this.codes.delete(input.code)) {
        return {
          status: 400,
          body: { error: 'invalid_grant', error_description: 'Invalid code.' },
        };
      }
    } else if (input.grant_type === 'refresh_token') {
      const access = input.refresh_token ? this.refreshTokens.get(input.refresh_token) : undefined;
      if (access === undefined) {
        return {
          status: 400,
          body: {
            error: 'invalid_grant',
            error_description: 'Token has been expired or revoked.',
          },
        };
      }
      // Rotation: the old pair stops working once a refresh succeeds.
      this.refreshTokens.delete(input.refresh_token!);
      this.#tokens.delete(access);
    } else {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const accessToken = `ntn_${randomUUID().replaceAll('-', '')}`;
    const refreshToken = `nrt_${randomUUID().replaceAll('-', '')}`;
    this.#tokens.add(accessToken);
    this.refreshTokens.set(refreshToken, accessToken);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'bearer',
        refresh_token: refreshToken,
        bot_id: randomUUID(),
        workspace_id: randomUUID(),
        workspace_name: 'Fake workspace',
        workspace_icon: null,
        owner: { type: 'workspace', workspace: true },
        duplicated_template_id: null,
        request_id: randomUUID(),
      },
    };
  }
}
