import type { Cursor } from '../../model/index.js';
import type { GitHubRepo } from './client.js';

/** The newest update time seen and the ids updated at exactly that time. */
export interface Mark {
  readonly at: string;
  readonly ids: readonly number[];
}

/**
 * The cursor of an incremental org read. `since`: the mark of the last complete pass (read
 * stops there). `pass`: a pass in progress (the page to resume at, and its own mark so far).
 * Ids at the mark's exact time are kept, so repos updated in the same second are not missed.
 */
export interface IncrementalCursor {
  readonly since: Mark | null;
  readonly pass: { readonly page: number; readonly mark: Mark | null } | null;
}

export function parseIncremental(cursor: Cursor): IncrementalCursor {
  if (cursor && typeof cursor === 'object' && !Array.isArray(cursor) && 'since' in cursor) {
    return cursor as unknown as IncrementalCursor;
  }
  return { since: null, pass: null };
}

/** Whether a repo, listed newest first, is older than the last pass (`stop`) or already seen. */
export function classify(repo: GitHubRepo, since: Mark | null): 'new' | 'seen' | 'stop' {
  if (!since || !repo.updated_at) return 'new';
  const at = Date.parse(repo.updated_at);
  const mark = Date.parse(since.at);
  if (at < mark) return 'stop';
  if (at === mark && since.ids.includes(repo.id)) return 'seen';
  return 'new';
}

/** Folds a repo into the pass's mark: a newer time replaces it, an equal time adds the id. */
export function advance(mark: Mark | null, repo: GitHubRepo): Mark | null {
  if (!repo.updated_at) return mark;
  if (!mark || Date.parse(repo.updated_at) > Date.parse(mark.at)) {
    return { at: repo.updated_at, ids: [repo.id] };
  }
  if (Date.parse(repo.updated_at) === Date.parse(mark.at) && !mark.ids.includes(repo.id)) {
    return { at: mark.at, ids: [...mark.ids, repo.id] };
  }
  return mark;
}
