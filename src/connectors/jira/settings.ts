import { createHash } from 'node:crypto';
import type { JiraAuth } from './client.js';

/** Names one credential for the shared limiter, without keeping the secret in memory twice. */
export function credentialId(auth: JiraAuth): string {
  const secret = 'accessToken' in auth ? auth.accessToken : `${auth.email}:${auth.apiToken}`;
  return `jira:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}
