import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { oauthConnection } from '../connectors/support/index.js';
import { isKeepsyncError } from '../model/index.js';
import type { Store } from '../store/index.js';
import { OAUTH_REFRESH_ACTIVITY, type RefreshInput, type RefreshResult } from './oauth-protocol.js';
import { AUTH_ERROR, CONFIG_ERROR } from './protocol.js';

export interface OAuthActivitiesOptions {
  /** Keeps each refresh's answer (encrypted at rest) until its result reaches the workflow. */
  store: Store;
}

/** The store secret holding the last refresh of a connection, keyed by the token it spent. */
function refreshJournalName(provider: string, connection: string): string {
  return `oauth-journal:${provider}:${connection}`;
}

interface JournalEntry {
  /** sha256 of the refresh token the grant spent. */
  readonly spent: string;
  readonly result: RefreshResult;
}

/**
 * The token workflow's refresh. A refresh token that rotates is spent by the grant, so the
 * answer is journaled in the store before the activity returns: an attempt whose completion
 * was lost (worker killed, timed out, cut off from Temporal) is retried with the same spent
 * token, and the retry returns the journaled answer instead of presenting it again.
 */
export function createOAuthActivities(options: OAuthActivitiesOptions) {
  const { store } = options;

  async function oauthRefresh(input: RefreshInput): Promise<RefreshResult> {
    const connection = oauthConnection(input.provider, input.connection);
    if (!connection) {
      throw ApplicationFailure.nonRetryable(
        `This worker's config has no OAuth connection ${input.provider}:${input.connection}; every worker on a task queue must load the same config`,
        CONFIG_ERROR,
      );
    }
    const journal = refreshJournalName(input.provider, input.connection);
    const spent = sha256(input.refreshToken);
    const recorded = await store.getSecret(journal);
    if (recorded) {
      const entry = JSON.parse(recorded) as JournalEntry;
      if (entry.spent === spent) return entry.result;
    }
    let result: RefreshResult;
    try {
      const tokens = await connection.refresh(input.refreshToken);
      result = {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken ?? input.refreshToken,
        expiresInSec: tokens.expiresInSec ?? null,
      };
    } catch (error) {
      if (isKeepsyncError(error) && error.code === 'AUTH_FAILED') {
        // The message names the connection and what to do; response bodies stay out of it.
        throw ApplicationFailure.create({
          message: error.message,
          type: AUTH_ERROR,
          nonRetryable: true,
        });
      }
      throw error;
    }
    await store.putSecret(journal, JSON.stringify({ spent, result } satisfies JournalEntry));
    return result;
  }

  return { [OAUTH_REFRESH_ACTIVITY]: oauthRefresh };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
