import { type Cursor, KeepsyncError } from '../../model/index.js';
import type { GitHubClient, RepoPage } from './client.js';

/**
 * An org unit's cursor: the listing's own cursor, and the id of the organization the unit
 * reads, kept across passes (a login can change hands; an id cannot).
 */
interface OrgCursor {
  readonly orgId: number;
  readonly listing: Cursor;
}

export function parseOrgCursor(cursor: Cursor): { orgId: number | null; listing: Cursor } {
  if (
    cursor &&
    typeof cursor === 'object' &&
    !Array.isArray(cursor) &&
    typeof (cursor as { orgId?: unknown }).orgId === 'number' &&
    'listing' in cursor
  ) {
    const saved = cursor as unknown as OrgCursor;
    return { orgId: saved.orgId, listing: saved.listing };
  }
  // A cursor from before the id was kept is the listing's own; the id is learnt again.
  return { orgId: null, listing: cursor };
}

export function orgCursor(orgId: number | null, listing: Cursor): Cursor {
  return orgId === null ? listing : { orgId, listing };
}

/**
 * Holds an org unit to the organization it first read. GitHub frees a renamed organization's
 * old login, and after 90 days another account may take it: reading on would mirror a
 * stranger's repositories and, in full mode, delete every real one downstream. Every listing
 * page is checked (its repositories' `owner.id`, or the organization itself when a page is
 * empty), so the check costs no request in the common case.
 */
export class OrgIdentity {
  readonly #org: string;
  readonly #client: GitHubClient;
  #id: number | null;

  constructor(org: string, id: number | null, client: GitHubClient) {
    this.#org = org;
    this.#id = id;
    this.#client = client;
  }

  /** The organization's id, once a listing or a lookup showed it. */
  get id(): number | null {
    return this.#id;
  }

  /** Throws before a page of another organization's repositories is read. */
  async check(page: RepoPage, signal?: AbortSignal): Promise<void> {
    if (page.repos.length === 0) {
      const org = await this.#client.getOrg(this.#org, signal);
      if (org) this.#hold(org.id);
      return;
    }
    for (const repo of page.repos) {
      if (repo.owner?.id !== undefined) this.#hold(repo.owner.id);
    }
  }

  #hold(id: number): void {
    if (this.#id === null) {
      this.#id = id;
      return;
    }
    if (id === this.#id) return;
    const org = this.#org;
    throw new KeepsyncError(
      'NOT_FOUND',
      `GitHub organization login ${org} now belongs to another organization (id ${id}, not ${this.#id}): the organization this unit read was renamed and another account took its old login. Nothing of the other organization was read, and nothing was deleted. Put the organization's new login in \`orgs\` (its repositories' old URLs on github.com redirect to it); until then every run of \`org:${org}\` stops here`,
    );
  }
}
