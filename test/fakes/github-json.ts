import { createHash } from 'node:crypto';
import type { FakeResponse } from './fake-server.js';
import type { FakeRepo } from './github.js';

/**
 * The link fields GitHub puts on REST objects, built the way GitHub builds them (API URLs with
 * RFC 6570 templates), so a fake's answers carry every field the OpenAPI description requires.
 */

/** The `*_url` members of a repository object, under its API URL. */
export function repositoryLinks(api: string, fullName: string): Record<string, string> {
  const repo = `${api}/repos/${fullName}`;
  const templated: Record<string, string> = {
    archive_url: '{archive_format}{/ref}',
    assignees_url: 'assignees{/user}',
    blobs_url: 'git/blobs{/sha}',
    branches_url: 'branches{/branch}',
    collaborators_url: 'collaborators{/collaborator}',
    comments_url: 'comments{/number}',
    commits_url: 'commits{/sha}',
    compare_url: 'compare/{base}...{head}',
    contents_url: 'contents/{+path}',
    git_commits_url: 'git/commits{/sha}',
    git_refs_url: 'git/refs{/sha}',
    git_tags_url: 'git/tags{/sha}',
    issue_comment_url: 'issues/comments{/number}',
    issue_events_url: 'issues/events{/number}',
    issues_url: 'issues{/number}',
    keys_url: 'keys{/key_id}',
    labels_url: 'labels{/name}',
    milestones_url: 'milestones{/number}',
    notifications_url: 'notifications{?since,all,participating}',
    pulls_url: 'pulls{/number}',
    releases_url: 'releases{/id}',
    statuses_url: 'statuses/{sha}',
    trees_url: 'git/trees{/sha}',
  };
  const plain = [
    'contributors',
    'deployments',
    'downloads',
    'events',
    'forks',
    'hooks',
    'languages',
    'merges',
    'stargazers',
    'subscribers',
    'subscription',
    'tags',
    'teams',
  ];
  const links: Record<string, string> = { url: repo };
  for (const [name, tail] of Object.entries(templated)) {
    links[name] = `${repo}/${tail}`;
  }
  for (const name of plain) links[`${name}_url`] = `${repo}/${name}`;
  return links;
}

/** A user or organisation as GitHub embeds it (`simple-user`). */
export function simpleUser(api: string, login: string, id: number, type: string) {
  const user = `${api}/users/${login}`;
  return {
    login,
    id,
    node_id: Buffer.from(`U_${id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: user,
    html_url: `https://github.com/${login}`,
    followers_url: `${user}/followers`,
    following_url: `${user}/following{/other_user}`,
    gists_url: `${user}/gists{/gist_id}`,
    starred_url: `${user}/starred{/owner}{/repo}`,
    subscriptions_url: `${user}/subscriptions`,
    organizations_url: `${user}/orgs`,
    repos_url: `${user}/repos`,
    events_url: `${user}/events{/privacy}`,
    received_events_url: `${user}/received_events`,
    type,
    site_admin: false,
  };
}

/** A stable id per owner login, as GitHub has one per account. */
export function ownerId(login: string): number {
  return createHash('sha256').update(login.toLowerCase()).digest().readUInt32BE(0) % 1e8;
}

/** An organization as `GET /orgs/{org}` returns it (`organization-full`). */
export function organizationJson(api: string, org: { login: string; id: number; repos: number }) {
  const base = `${api}/orgs/${org.login}`;
  const created = '2020-01-01T00:00:00Z';
  return {
    login: org.login,
    id: org.id,
    node_id: Buffer.from(`O_${org.id}`).toString('base64'),
    url: base,
    repos_url: `${base}/repos`,
    events_url: `${base}/events`,
    hooks_url: `${base}/hooks`,
    issues_url: `${base}/issues`,
    members_url: `${base}/members{/member}`,
    public_members_url: `${base}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${org.id}?v=4`,
    description: null,
    html_url: `https://github.com/${org.login}`,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: org.repos,
    public_gists: 0,
    followers: 0,
    following: 0,
    type: 'Organization',
    created_at: created,
    updated_at: created,
    archived_at: null,
  };
}

/** A README as `GET /repos/{owner}/{repo}/readme` returns it (`content-file`). */
export function readmeJson(api: string, repo: FakeRepo): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const content = Buffer.from(repo.readme ?? '');
  const sha = createHash('sha1').update(content).digest('hex');
  const self = `${api}/repos/${fullName}/contents/README.md?ref=${repo.default_branch}`;
  const html = `https://github.com/${fullName}/blob/${repo.default_branch}/README.md`;
  const git = `${api}/repos/${fullName}/git/blobs/${sha}`;
  return {
    type: 'file',
    encoding: 'base64',
    size: content.length,
    name: 'README.md',
    path: 'README.md',
    content: content.toString('base64'),
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: `https://raw.githubusercontent.com/${fullName}/${repo.default_branch}/README.md`,
    _links: { self, git, html },
  };
}

/** The latest release as `GET /repos/{owner}/{repo}/releases/latest` returns it. */
export function releaseJson(api: string, repo: FakeRepo): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const tag = `v${repo.id % 10}.0.0`;
  const id = repo.id * 10;
  const url = `${api}/repos/${fullName}/releases/${id}`;
  return {
    url,
    assets_url: `${url}/assets`,
    upload_url: `https://uploads.github.com/repos/${fullName}/releases/${id}/assets{?name,label}`,
    html_url: `https://github.com/${fullName}/releases/tag/${tag}`,
    id,
    node_id: Buffer.from(`RE_${id}`).toString('base64'),
    tag_name: tag,
    target_commitish: repo.default_branch,
    name: 'Latest',
    draft: false,
    prerelease: false,
    created_at: repo.created_at,
    published_at: repo.created_at,
    author: simpleUser(api, 'release-bot', 42, 'Bot'),
    assets: [],
    tarball_url: `${api}/repos/${fullName}/tarball/${tag}`,
    zipball_url: `${api}/repos/${fullName}/zipball/${tag}`,
  };
}

/** The 403s GitHub answers that are not rate limits, each with the body GitHub sends. */
export type ForbiddenKind = 'saml' | 'ip-allow-list' | 'integration';

export function forbiddenAnswer(kind: ForbiddenKind, org: string): FakeResponse {
  const message = {
    saml: 'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.',
    'ip-allow-list': `Although you appear to have the correct authorization credentials, the \`${org}\` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.`,
    integration: 'Resource not accessible by integration',
  }[kind];
  return {
    status: 403,
    body: { message, documentation_url: 'https://docs.github.com/rest', status: '403' },
    headers:
      kind === 'saml'
        ? {
            'x-github-sso': `required; url=https://github.com/orgs/${org}/sso?authorization_request=A1B2`,
          }
        : {},
  };
}
