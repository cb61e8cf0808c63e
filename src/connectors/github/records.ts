import type { SyncRecord } from '../../model/index.js';
import type { GitHubRepo } from './client.js';

/** A repository as a neutral record keyed on its numeric id (names can change; ids do not). */
export function repoRecord(repo: GitHubRepo, readme: string | null): SyncRecord {
  const updatedAt = toDate(repo.updated_at);
  const spdx = repo.license?.spdx_id;
  return {
    key: String(repo.id),
    fields: {
      name: repo.name,
      fullName: repo.full_name,
      description: repo.description ?? null,
      url: repo.html_url,
      language: repo.language ?? null,
      stars: repo.stargazers_count ?? 0,
      forks: repo.forks_count ?? 0,
      openIssues: repo.open_issues_count ?? 0,
      topics: [...(repo.topics ?? [])],
      archived: repo.archived ?? false,
      fork: repo.fork,
      visibility: repo.visibility ?? null,
      license: spdx && spdx !== 'NOASSERTION' ? spdx : null,
      defaultBranch: repo.default_branch ?? null,
      createdAt: toDate(repo.created_at) ?? null,
      pushedAt: toDate(repo.pushed_at) ?? null,
      updatedAt: updatedAt ?? null,
    },
    body: readme ?? undefined,
    updatedAt,
  };
}

function toDate(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
