import type { Octokit } from '@octokit/rest';
import { AuthError, KeepsyncError, QuotaExhaustedError } from '../../model/index.js';
import { importPeer } from '../support/index.js';

/** The fields of a GitHub repository the source reads (REST "repository" objects). */
export interface GitHubRepo {
  readonly id: number;
  readonly name: string;
  readonly full_name: string;
  readonly owner?: { readonly login: string; readonly id?: number };
  readonly description: string | null;
  readonly html_url: string;
  readonly language?: string | null;
  readonly stargazers_count?: number;
  readonly forks_count?: number;
  readonly open_issues_count?: number;
  readonly topics?: readonly string[];
  readonly archived?: boolean;
  readonly fork: boolean;
  readonly visibility?: string;
  readonly default_branch?: string;
  readonly license?: { readonly spdx_id?: string | null } | null;
  readonly created_at?: string | null;
  readonly updated_at?: string | null;
  readonly pushed_at?: string | null;
}

export interface RepoPage {
  readonly repos: readonly GitHubRepo[];
  /** The Link header named a next page. */
  readonly hasNext: boolean;
}

/** The few calls the source makes; tests may pass an in-memory implementation. */
export interface GitHubClient {
  listOrgRepos(request: {
    org: string;
    sort: 'updated' | 'pushed' | 'full_name';
    perPage: number;
    page: number;
    signal?: AbortSignal | undefined;
  }): Promise<RepoPage>;
  /** The organization a login names now; `null` when no organization has it. */
  getOrg(org: string, signal?: AbortSignal): Promise<{ id: number; login: string } | null>;
  /** `null` when the repository does not exist or is not visible to the credential. */
  getRepo(fullName: string, signal?: AbortSignal): Promise<GitHubRepo | null>;
  /** By id, which survives renames and transfers; `null` when gone or not visible. */
  getRepoById(id: number, signal?: AbortSignal): Promise<GitHubRepo | null>;
  /** The README as text, or `null` when there is none. */
  getReadme(fullName: string, signal?: AbortSignal): Promise<string | null>;
  /** The Octokit instance, for enrichment hooks; absent in in-memory clients. */
  readonly octokit?: Octokit | undefined;
}

/** A personal access token (classic or fine-grained) or an OAuth token. */
export interface GitHubTokenAuth {
  readonly token: string;
}

/** A GitHub App installation: tokens are minted from the app's private key and renewed. */
export interface GitHubAppAuth {
  readonly appId: number | string;
  /** PEM of the app's private key. */
  readonly privateKey: string;
  readonly installationId: number;
}

export type GitHubAuth = GitHubTokenAuth | GitHubAppAuth;

export interface OctokitClientOptions {
  readonly auth: GitHubAuth;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly rateLimitRetries: number;
  /** The longest one rate-limit wait may be; a later reset pauses the unit until then. */
  readonly maxRateLimitWaitMs: number;
  /** The wait on a secondary rate limit that names no `retry-after` (GitHub: a minute). */
  readonly secondaryRateLimitWaitMs: number;
  /** Told how long a rate limit made requests wait. */
  readonly onRateLimitWait: (ms: number) => void;
}

/**
 * The Octokit binding: @octokit/rest with the throttling plugin (waits on primary and
 * secondary rate limits, as GitHub asks) and the retry plugin (server errors), loaded lazily.
 */
export async function createOctokitClient(options: OctokitClientOptions): Promise<GitHubClient> {
  const [{ Octokit }, { throttling }, { retry }] = await Promise.all([
    importPeer('@octokit/rest', 'github', () => import('@octokit/rest')),
    importPeer('@octokit/plugin-throttling', 'github', () => import('@octokit/plugin-throttling')),
    importPeer('@octokit/plugin-retry', 'github', () => import('@octokit/plugin-retry')),
  ]);
  const Client = Octokit.plugin(throttling, retry);
  // A wait past the bound is not taken: `call` turns the answer into a pause until the reset.
  const onLimit = (
    retryAfterSeconds: number,
    _request: unknown,
    _octokit: unknown,
    count: number,
  ) => {
    const waitMs = retryAfterSeconds * 1000;
    if (count >= options.rateLimitRetries || waitMs > options.maxRateLimitWaitMs) return false;
    options.onRateLimitWait(waitMs);
    return true;
  };
  const call = guardedCall(options.secondaryRateLimitWaitMs);
  const authOptions =
    'token' in options.auth
      ? { auth: options.auth.token }
      : {
          authStrategy: (
            await importPeer('@octokit/auth-app', 'github', () => import('@octokit/auth-app'))
          ).createAppAuth,
          auth: {
            appId: options.auth.appId,
            privateKey: options.auth.privateKey,
            installationId: options.auth.installationId,
          },
        };
  const octokit: Octokit = new Client({
    ...authOptions,
    baseUrl: options.baseUrl,
    userAgent: 'keepsync',
    throttle: {
      onRateLimit: onLimit,
      onSecondaryRateLimit: onLimit,
      fallbackSecondaryRateRetryAfter: options.secondaryRateLimitWaitMs / 1000,
    },
    // 429s are rate limits: the throttling plugin waits for them, the retry plugin must not
    // resend at once (its default list retries 429).
    retry: { retries: options.retries, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    request: { fetch: withTimeout(options.timeoutMs) },
  });
  if (!('token' in options.auth)) renewExpiredInstallationTokens(octokit);

  return {
    octokit,
    async listOrgRepos({ org, sort, perPage, page, signal }) {
      const response = await call(`list the repositories of ${org}`, () =>
        octokit.rest.repos.listForOrg({
          org,
          sort,
          direction: sort === 'full_name' ? 'asc' : 'desc',
          per_page: perPage,
          page,
          request: { signal },
        }),
      ).catch((error: unknown) => {
        if ((error as { status?: number }).status !== 404) throw error;
        // GitHub redirects a renamed organization's repositories, not its login.
        throw new KeepsyncError(
          'NOT_FOUND',
          `GitHub organization ${org} was not found (404); nothing was read or deleted. If it was renamed, put its new login in \`orgs\`: GitHub does not redirect an organization's old name (only its repositories' URLs)`,
          { cause: error },
        );
      });
      return {
        repos: response.data as GitHubRepo[],
        hasNext: /\brel="next"/.test(response.headers.link ?? ''),
      };
    },
    async getOrg(org, signal) {
      try {
        const response = await call(`read organization ${org}`, () =>
          octokit.rest.orgs.get({ org, request: { signal } }),
        );
        return { id: response.data.id, login: response.data.login };
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
    async getRepo(fullName, signal) {
      const [owner, repo] = splitName(fullName);
      try {
        const response = await call(`read ${fullName}`, () =>
          octokit.rest.repos.get({ owner, repo, request: { signal } }),
        );
        return response.data as GitHubRepo;
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
    async getRepoById(id, signal) {
      try {
        // Not in the OpenAPI description, but where GitHub's own 301s for renamed and
        // transferred repositories point.
        const response = await call(`read repository ${id}`, () =>
          octokit.request('GET /repositories/{repository_id}', {
            repository_id: id,
            request: { signal },
          }),
        );
        return response.data as GitHubRepo;
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
    async getReadme(fullName, signal) {
      const [owner, repo] = splitName(fullName);
      try {
        const response = await call(`read the README of ${fullName}`, () =>
          octokit.rest.repos.getReadme({ owner, repo, request: { signal } }),
        );
        const file = response.data as { content?: string; encoding?: string };
        return file.encoding === 'base64' && file.content
          ? Buffer.from(file.content, 'base64').toString('utf8')
          : (file.content ?? null);
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
  };
}

/**
 * @octokit/auth-app keeps an installation token for 59 minutes from when it got it, whatever
 * the token's `expires_at`: a token GitHub ends sooner (a local clock behind GitHub's, a run
 * past the hour on a token minted elsewhere) answers 401 "Bad credentials". A new token, then
 * one more try of the request; a second 401 is the credential's own.
 */
function renewExpiredInstallationTokens(octokit: Octokit): void {
  octokit.hook.wrap('request', async (request, options) => {
    try {
      return await request(options);
    } catch (error) {
      const status = (error as { status?: number }).status;
      // Token requests are the app's own JWT, not an installation token.
      if (status !== 401 || /\/app\b/.test(String(options.url))) throw error;
      // No new token (the installation is gone or suspended): the 401 stands.
      await octokit.auth({ type: 'installation', refresh: true }).catch(() => {
        throw error;
      });
      return request(options);
    }
  });
}

function splitName(fullName: string): [string, string] {
  const [owner, repo, ...rest] = fullName.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected a repository as \`owner/name\`, got \`${fullName}\``,
    );
  }
  return [owner, repo];
}

/**
 * 401, and a 403 that is not a rate limit, mean only a person can fix it: the run pauses with
 * what they have to do. A rate limit the throttling plugin did not wait out (its reset too far
 * away, or hit again and again) pauses the unit until the reset, without a person.
 */
function guardedCall(secondaryWaitMs: number) {
  return async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 401) {
        throw new AuthError(`GitHub refused the credential (401) when trying to ${what}`, {
          cause: error,
        });
      }
      const limited = status === 403 || status === 429 ? rateLimit(error, secondaryWaitMs) : null;
      if (limited) {
        throw new QuotaExhaustedError(
          `GitHub's ${limited.kind} rate limit is used up (${status}) at ${what}; it resets at ${limited.resetsAt.toISOString()}`,
          limited.resetsAt,
          { cause: error },
        );
      }
      const reason = status === 403 ? forbiddenReason(error) : null;
      if (reason) {
        throw new AuthError(`GitHub refused (403) to ${what}: ${reason}`, { cause: error });
      }
      throw error;
    }
  };
}

/** Which rate limit a 403/429 is and when it lifts, or null when it is not one. */
function rateLimit(
  error: unknown,
  secondaryWaitMs: number,
): { kind: 'primary' | 'secondary'; resetsAt: Date } | null {
  const response = (error as { response?: { headers?: Record<string, string>; data?: unknown } })
    .response;
  const headers = response?.headers ?? {};
  const message = String((response?.data as { message?: unknown } | undefined)?.message ?? '');
  const reset = Number(headers['x-ratelimit-reset']);
  if (/secondary rate limit/i.test(message)) {
    const retryAfter = Number(headers['retry-after']);
    const waitMs =
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : secondaryWaitMs;
    return { kind: 'secondary', resetsAt: new Date(Date.now() + waitMs) };
  }
  if (headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset) && reset > 0) {
    return { kind: 'primary', resetsAt: new Date(reset * 1000) };
  }
  return null;
}

/** What a person has to do about a 403, or null when it is a rate limit (retry later). */
function forbiddenReason(error: unknown): string | null {
  const response = (error as { response?: { headers?: Record<string, string>; data?: unknown } })
    .response;
  const headers = response?.headers ?? {};
  const message = String((response?.data as { message?: unknown } | undefined)?.message ?? '');
  if (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(message)) return null;
  const sso = headers['x-github-sso'];
  if (sso !== undefined || /SAML/i.test(message)) {
    const url = /url=(\S+)/.exec(sso ?? '')?.[1];
    return `the organization enforces SAML single sign-on; authorize the token for it${url ? ` at ${url}` : ''}`;
  }
  if (/IP allow list/i.test(message)) {
    return "the organization's IP allow list does not include this machine's address; ask an owner to add it";
  }
  if (/not accessible by (integration|personal access token)/i.test(message)) {
    return 'the token or GitHub App lacks a permission this needs (repository metadata/contents: read); grant it';
  }
  return message ? `${message}; check the token's access` : "check the token's access";
}

function withTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}
