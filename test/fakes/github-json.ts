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
