import type { Octokit } from '@octokit/rest';
import { AuthError, KeepsyncError } from '../../model/index.js';
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
  const onLimit = (
    retryAfterSeconds: number,
    _request: unknown,
    _octokit: unknown,
    count: number,
  ) => {
    options.onRateLimitWait(retryAfterSeconds * 1000);
    return count < options.rateLimitRetries;
  };
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
    throttle: { onRateLimit: onLimit, onSecondaryRateLimit: onLimit },
    retry: { retries: options.retries },
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
 * what they have to do. Rate-limit 403s were waited out by the throttling plugin already.
 */
async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 401) {
      throw new AuthError(`GitHub refused the credential (401) when trying to ${what}`, {
        cause: error,
      });
    }
    const reason = status === 403 ? forbiddenReason(error) : null;
    if (reason) {
      throw new AuthError(`GitHub refused (403) to ${what}: ${reason}`, { cause: error });
    }
    throw error;
  }
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
