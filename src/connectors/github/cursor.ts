import type { Cursor } from '../../model/index.js';
import type { GitHubRepo } from './client.js';

/** The newest update time seen and the ids updated at exactly that time. */
export interface Mark {
  readonly at: string;
  readonly ids: readonly number[];
}

/**
 * Where one listing (by update time, or by push time) stands. `since`: the mark of the last
 * complete pass (the listing stops there). `pass`: a pass in progress (the page to resume at,
 * and its own mark so far). Ids at the mark's exact time are kept, so repos changed in the
 * same second are not missed.
 */
export interface LaneCursor {
  readonly since: Mark | null;
  readonly pass: { readonly page: number; readonly mark: Mark | null } | null;
}

/** The cursor of an incremental org read: the update-time lane, and the push-time lane. */
export interface IncrementalCursor extends LaneCursor {
  readonly pushed: LaneCursor;
}

export function parseIncremental(cursor: Cursor): IncrementalCursor {
  if (cursor && typeof cursor === 'object' && !Array.isArray(cursor) && 'since' in cursor) {
    const saved = cursor as unknown as LaneCursor & { pushed?: LaneCursor };
    // A cursor from before pushes were followed: start the push lane where updates stand.
    return { ...saved, pushed: saved.pushed ?? { since: saved.since, pass: null } };
  }
  return { since: null, pass: null, pushed: { since: null, pass: null } };
}

/** The time a listing is sorted by. */
export type TimeOf = (repo: GitHubRepo) => string | null | undefined;

/** Whether a repo, listed newest first, is older than the last pass (`stop`) or already seen. */
export function classify(
  repo: GitHubRepo,
  since: Mark | null,
  timeOf: TimeOf,
): 'new' | 'seen' | 'stop' {
  const time = timeOf(repo);
  if (!since || !time) return 'new';
  const at = Date.parse(time);
  const mark = Date.parse(since.at);
  if (at < mark) return 'stop';
  if (at === mark && since.ids.includes(repo.id)) return 'seen';
  return 'new';
}

/** Folds a repo into the pass's mark: a newer time replaces it, an equal time adds the id. */
export function advance(mark: Mark | null, repo: GitHubRepo, timeOf: TimeOf): Mark | null {
  const time = timeOf(repo);
  if (!time) return mark;
  if (!mark || Date.parse(time) > Date.parse(mark.at)) {
    return { at: time, ids: [repo.id] };
  }
  if (Date.parse(time) === Date.parse(mark.at) && !mark.ids.includes(repo.id)) {
    return { at: mark.at, ids: [...mark.ids, repo.id] };
  }
  return mark;
}

/** The mark after a complete pass: the newer of the two, ids merged when they tie. */
export function mergeMarks(since: Mark | null, mark: Mark | null): Mark | null {
  if (!mark) return since;
  if (!since) return mark;
  const a = Date.parse(since.at);
  const b = Date.parse(mark.at);
  if (b > a) return mark;
  if (b < a) return since;
  return { at: since.at, ids: [...new Set([...since.ids, ...mark.ids])] };
}
