import {
  type FakeHandler,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  type RateLimit,
} from './fake-server.js';
import { InstallationTokens, verifyAppJwt } from './github-app.js';
import {
  type ForbiddenKind,
  forbiddenAnswer,
  organizationJson,
  ownerId,
  readmeJson,
  releaseJson,
  repositoryLinks,
  simpleUser,
} from './github-json.js';
import { GitHubRateLimits, type PrimaryRateLimit } from './github-limits.js';
import { listingPage } from './github-listing.js';

/** The fields of a GitHub repository object the fake keeps (the REST "full repository" shape). */
export interface FakeRepo {
  id: number;
  name: string;
  owner: string;
  description: string | null;
  language: string | null;
  stargazers_count: number;
  forks_count: number;
  open_issues_count: number;
  topics: string[];
  archived: boolean;
  fork: boolean;
  visibility: 'public' | 'private' | 'internal';
  default_branch: string;
  created_at: string;
  updated_at: string;
  pushed_at: string | null;
  license: { spdx_id: string } | null;
  readme?: string;
}

export interface FakeGitHubOptions {
  /** Tokens that authenticate (a personal access token, or installation tokens it mints). */
  tokens?: readonly string[];
  rateLimit?: RateLimit;
  /** A GitHub App: its id, public key (PEM) and installation, for installation-token auth. */
  app?: { appId: number; publicKeyPem: string; installationId: number };
  /**
   * How long a minted installation token lives (its `expires_at`); past it the token gets 401
   * "Bad credentials", as GitHub's do after an hour. Scaled down in tests. @default 3_600_000
   */
  installationTokenTtlMs?: number;
  /** The primary rate limit (scaled down in tests). @default 5000 an hour, answered 403 */
  primaryRateLimit?: PrimaryRateLimit;
}

const DOCS = 'https://docs.github.com/rest';

export type { ForbiddenKind } from './github-json.js';

/** GitHub's error body: `{ message, documentation_url, status }`. */
function githubError(status: number, _code: string, message: string): unknown {
  const text =
    status === 401 ? 'Bad credentials' : status === 404 ? 'Not Found' : message || 'Server Error';
  return { message: text, documentation_url: DOCS, status: String(status) };
}

/**
 * A fake of the GitHub REST API (v2022-11-28) for the calls the github source makes: org
 * repository listings with page/per_page and Link headers, single repositories, READMEs,
 * latest releases, and GitHub App installation tokens. Over-limit requests get GitHub's
 * secondary-rate-limit answer: 403 with Retry-After.
 */
export class FakeGitHub {
  readonly server: FakeServer;
  readonly repos = new Map<number, FakeRepo>();
  /**
   * Called before an org listing page is served, with the page number asked for: a test
   * deletes or adds repositories here to make the listing shift between page requests,
   * as GitHub's page-numbered listings do.
   */
  beforeListPage: ((request: { org: string; page: number }) => void) | undefined;
  readonly #tokens: Set<string>;
  readonly #installationTokens: InstallationTokens;
  /** Former `owner/name` (lower case) -> repository id, after renames and transfers. */
  readonly #formerNames = new Map<string, number>();
  /**
   * Organizations by login (lower case), with or without repositories. The id stays with the
   * organization through renames; a login set free can be claimed by another organization.
   */
  readonly #orgs = new Map<string, { login: string; id: number }>();
  #forbidden: { kind: ForbiddenKind; path: RegExp } | undefined;
  /** GitHub's primary and secondary rate limits. */
  readonly limits: GitHubRateLimits;

  constructor(options: FakeGitHubOptions = {}) {
    this.#tokens = new Set(options.tokens ?? ['ghp_test']);
    this.limits = new GitHubRateLimits(options.primaryRateLimit);
    this.#installationTokens = new InstallationTokens(options.installationTokenTtlMs);
    this.server = new FakeServer({
      name: 'GitHub',
      errorBody: githubError,
      rateLimit: options.rateLimit,
      rateLimited: {
        status: 403,
        code: 'secondary_rate_limit',
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
      publicPaths: [/^\/app\/installations\/\d+\/access_tokens$/],
      isValidToken: (token) =>
        token !== undefined && (this.#tokens.has(token) || this.#installationTokens.isLive(token)),
    });
    const app = options.app;
    const router = {
      route: (method: string, path: string, handler: FakeHandler) => {
        this.server.route(method, path, (request) => this.#answer(request, handler));
        return router;
      },
    };
    router
      .route('GET', '/orgs/:org/repos', (request) => this.#listOrgRepos(request))
      .route('GET', '/orgs/:org', ({ params }) => {
        const org = this.#orgs.get(params.org!.toLowerCase());
        if (!org) return notFound();
        const repos = [...this.repos.values()].filter(
          (repo) => repo.owner.toLowerCase() === org.login.toLowerCase(),
        );
        return { status: 200, body: organizationJson(this.url, { ...org, repos: repos.length }) };
      })
      .route('GET', '/repos/:owner/:repo', ({ params }) =>
        this.#byName(params, '', (repo) => ({ status: 200, body: this.toJson(repo) })),
      )
      .route('GET', '/repositories/:id', ({ params }) => {
        const repo = this.repos.get(Number(params.id));
        return repo ? { status: 200, body: this.toJson(repo) } : notFound();
      })
      .route('GET', '/repos/:owner/:repo/readme', ({ params }) =>
        this.#byName(params, '/readme', (repo) => this.#readme(repo)),
      )
      .route('GET', '/repositories/:id/readme', ({ params }) => {
        const repo = this.repos.get(Number(params.id));
        return repo ? this.#readme(repo) : notFound();
      })
      .route('GET', '/repos/:owner/:repo/releases/latest', ({ params }) =>
        this.#byName(params, '/releases/latest', (repo) => ({
          status: 200,
          body: releaseJson(this.url, repo),
        })),
      )
      .route('POST', '/app/installations/:id/access_tokens', (request) => {
        if (!app || Number(request.params.id) !== app.installationId) return notFound();
        if (!verifyAppJwt(request, app.appId, app.publicKeyPem)) {
          return {
            status: 401,
            body: {
              message: 'A JSON web token could not be decoded',
              documentation_url: DOCS,
              status: '401',
            },
          };
        }
        return this.#installationTokens.mint();
      });
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /**
   * Answers requests whose path matches with one of GitHub's 403s that no retry fixes: SAML
   * SSO enforcement (with `x-github-sso`), an IP allow list, or an app lacking a permission.
   * `undefined` lifts it.
   */
  forbid(kind: ForbiddenKind | undefined, path = /./): void {
    this.#forbidden = kind ? { kind, path } : undefined;
  }

  /** Every answer carries the primary rate limit's headers, as GitHub's do. */
  async #answer(request: FakeRequest, handler: FakeHandler): Promise<FakeResponse> {
    const { headers, refused } = this.limits.take();
    const forbidden = this.#forbidden;
    const response =
      refused ??
      (forbidden?.path.test(request.path)
        ? forbiddenAnswer(forbidden.kind, request.params.org ?? request.params.owner ?? 'acme')
        : await handler(request));
    return { ...response, headers: { ...headers, ...response.headers } };
  }

  /** When the newest installation token expires (epoch ms), if one was minted. */
  get installationTokenExpiresAt(): number | undefined {
    return this.#installationTokens.newestExpiresAt;
  }

  revokeToken(token: string): void {
    this.#tokens.delete(token);
    this.#installationTokens.revoke(token);
  }

  /**
   * Adds `count` repositories to an org, with ids from `firstId` and distinct update times. A
   * login no organization holds gets a new organization (with its own id).
   */
  seedOrg(org: string, count: number, firstId = 1_000): FakeRepo[] {
    if (!this.#orgs.has(org.toLowerCase())) this.#createOrg(org);
    const base = Date.UTC(2026, 0, 1);
    const made: FakeRepo[] = [];
    for (let index = 0; index < count; index++) {
      const id = firstId + index;
      const at = new Date(base + index * 60_000).toISOString().replace('.000Z', 'Z');
      const repo: FakeRepo = {
        id,
        name: `repo-${index}`,
        owner: org,
        description: index % 7 === 0 ? null : `Repository number ${index}`,
        language: ['TypeScript', 'Go', 'Rust', 'Python'][index % 4]!,
        stargazers_count: (index * 37) % 1000,
        forks_count: index % 13,
        open_issues_count: index % 5,
        topics: index % 3 === 0 ? ['sync', 'tools'] : ['tools'],
        archived: index % 25 === 0,
        fork: false,
        visibility: 'public',
        default_branch: 'main',
        created_at: at,
        updated_at: at,
        pushed_at: at,
        license: index % 2 === 0 ? { spdx_id: 'MIT' } : null,
        readme: `# repo-${index}\n\nThe README of repo ${index}.`,
      };
      this.repos.set(id, repo);
      made.push(repo);
    }
    return made;
  }

  /** Changes a repository as a push or an edit would: its update time moves to `at`. */
  touch(id: number, patch: Partial<FakeRepo>, at: Date): void {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`no repo ${id}`);
    Object.assign(repo, patch, { updated_at: at.toISOString().replace('.000Z', 'Z') });
  }

  /** A push: `pushed_at` moves to `at` (and the README may change); `updated_at` does not. */
  push(id: number, at: Date, readme?: string): void {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`no repo ${id}`);
    repo.pushed_at = at.toISOString().replace('.000Z', 'Z');
    if (readme !== undefined) repo.readme = readme;
  }

  toJson(repo: FakeRepo): Record<string, unknown> {
    const fullName = `${repo.owner}/${repo.name}`;
    const { readme: _readme, owner, license, ...fields } = repo;
    const host = 'github.com';
    return {
      ...repositoryLinks(this.url, fullName),
      ...fields,
      node_id: Buffer.from(`R_${repo.id}`).toString('base64'),
      full_name: fullName,
      private: repo.visibility !== 'public',
      owner: simpleUser(
        this.url,
        owner,
        this.#orgs.get(owner.toLowerCase())?.id ?? ownerId(owner),
        'Organization',
      ),
      html_url: `https://${host}/${fullName}`,
      git_url: `git://${host}/${fullName}.git`,
      ssh_url: `git@${host}:${fullName}.git`,
      clone_url: `https://${host}/${fullName}.git`,
      svn_url: `https://${host}/${fullName}`,
      mirror_url: null,
      homepage: null,
      size: 100 + (repo.id % 900),
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_discussions: false,
      disabled: false,
      watchers_count: repo.stargazers_count,
      open_issues: repo.open_issues_count,
      forks: repo.forks_count,
      watchers: repo.stargazers_count,
      network_count: repo.forks_count,
      subscribers_count: repo.stargazers_count % 50,
      permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
      license: license
        ? {
            key: license.spdx_id.toLowerCase(),
            name: `${license.spdx_id} License`,
            spdx_id: license.spdx_id,
            url: `${this.url}/licenses/${license.spdx_id.toLowerCase()}`,
            node_id: Buffer.from(`L_${license.spdx_id}`).toString('base64'),
          }
        : null,
    };
  }

  /** GitHub matches owner and repository names without regard to case. */
  #find(owner: string, name: string): FakeRepo | undefined {
    const wanted = `${owner}/${name}`.toLowerCase();
    for (const repo of this.repos.values()) {
      if (`${repo.owner}/${repo.name}`.toLowerCase() === wanted) return repo;
    }
    return undefined;
  }

  /**
   * A repository by its name, or, for a name it had before a rename or transfer, GitHub's 301
   * to `/repositories/{id}` (clients follow it).
   */
  #byName(
    params: Readonly<Record<string, string>>,
    subpath: string,
    answer: (repo: FakeRepo) => FakeResponse,
  ): FakeResponse {
    const repo = this.#find(params.owner!, params.repo!);
    if (repo) return answer(repo);
    const moved = this.#formerNames.get(`${params.owner}/${params.repo}`.toLowerCase());
    if (moved === undefined || !this.repos.has(moved)) return notFound();
    const location = `${this.url}/repositories/${moved}${subpath}`;
    return {
      status: 301,
      headers: { location },
      body: { message: 'Moved Permanently', url: location, documentation_url: DOCS },
    };
  }

  #readme(repo: FakeRepo): FakeResponse {
    return repo.readme ? { status: 200, body: readmeJson(this.url, repo) } : notFound();
  }

  /** Renames a repository or moves it to another owner; its old name answers 301 from then on. */
  rename(id: number, to: { owner?: string; name?: string }): void {
    const repo = this.repos.get(id)!;
    this.#formerNames.set(`${repo.owner}/${repo.name}`.toLowerCase(), id);
    if (to.owner !== undefined) repo.owner = to.owner;
    if (to.name !== undefined) repo.name = to.name;
    repo.updated_at = new Date().toISOString();
  }

  /**
   * Renames an organization, as GitHub documents it: its repositories' old names answer 301,
   * but the old login itself is not redirected (`/orgs/{old}/...` answers 404).
   */
  renameOrg(from: string, to: string): void {
    for (const repo of this.repos.values()) {
      if (repo.owner.toLowerCase() === from.toLowerCase()) this.rename(repo.id, { owner: to });
    }
    const renamed = this.#orgs.get(from.toLowerCase()) ?? this.#createOrg(from);
    this.#orgs.delete(from.toLowerCase());
    this.#orgs.set(to.toLowerCase(), { login: to, id: renamed.id });
  }

  /** The numeric id of the organization that holds `login` now. */
  orgId(login: string): number | undefined {
    return this.#orgs.get(login.toLowerCase())?.id;
  }

  /**
   * Creates an organization (as `seedOrg` does for a login not in use): after `renameOrg`,
   * another account claiming the old login, as GitHub allows 90 days after a rename.
   */
  #createOrg(login: string): { login: string; id: number } {
    const used = new Set([...this.#orgs.values()].map((org) => org.id));
    let id = ownerId(login);
    while (used.has(id)) id++;
    const org = { login, id };
    this.#orgs.set(login.toLowerCase(), org);
    return org;
  }

  #listOrgRepos({ params, query }: FakeRequest): FakeResponse {
    const org = params.org!;
    this.beforeListPage?.({ org, page: Math.max(1, Number(query.get('page') ?? 1)) });
    const all = [...this.repos.values()].filter(
      (repo) => repo.owner.toLowerCase() === org.toLowerCase(),
    );
    // An organization without (visible) repositories answers 200 []; an unknown login 404.
    if (all.length === 0 && !this.#orgs.has(org.toLowerCase())) return notFound();
    const { slice, link } = listingPage(all, query, `${this.url}/orgs/${org}/repos`);
    return {
      status: 200,
      body: slice.map((repo) => this.toJson(repo)),
      headers: link ? { link } : {},
    };
  }
}

function notFound(): FakeResponse {
  return { status: 404, body: githubError(404, 'not_found', 'Not Found') };
}
