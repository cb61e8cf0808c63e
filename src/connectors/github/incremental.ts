import type { Cursor, SyncRecord } from '../../model/index.js';
import type { SourcePage } from '../../sync/index.js';
import type { GitHubRepo, RepoPage } from './client.js';
import {
  advance,
  classify,
  type IncrementalCursor,
  type LaneCursor,
  type Mark,
  mergeMarks,
  parseIncremental,
  type TimeOf,
} from './cursor.js';

export type ListSorted = (sort: 'updated' | 'pushed', page: number) => Promise<RepoPage>;
export type ToRecords = (repos: readonly GitHubRepo[]) => Promise<SyncRecord[]>;

type LaneName = 'updated' | 'pushed';

const TIME_OF: Readonly<Record<LaneName, TimeOf>> = {
  updated: (repo) => repo.updated_at,
  // A push moves `pushed_at`; GitHub does not promise it moves `updated_at` too.
  pushed: (repo) => repo.pushed_at,
};

/**
 * Reads what changed in an org since the last pass: repositories listed newest first by
 * update time, then by push time, each listing stopping at its own mark. A no-change run
 * costs one request per listing.
 */
export async function* readIncremental(
  cursor: Cursor,
  list: ListSorted,
  toRecords: ToRecords,
): AsyncGenerator<SourcePage> {
  let state = parseIncremental(cursor);
  // A first pass lists every repository by update time; the push listing then starts at the
  // newest push it saw instead of listing everything again.
  const firstPass =
    state.since === null && state.pushed.since === null && state.pushed.pass === null;
  let pushedMark: Mark | null = null;
  const observed: ToRecords = (repos) => {
    for (const repo of repos) pushedMark = advance(pushedMark, repo, TIME_OF.pushed);
    return toRecords(repos);
  };
  // Repositories read in this run: the push listing need not read them again.
  const read = new Set<number>();
  for await (const step of readLane(laneOf(state, 'updated'), 'updated', list, read, observed)) {
    state = withLane(state, 'updated', step.lane);
    if (firstPass && step.lane.pass === null) {
      state = withLane(state, 'pushed', { since: pushedMark, pass: null });
    }
    yield { records: step.records, cursor: state as unknown as Cursor };
  }
  if (firstPass) return;
  for await (const step of readLane(laneOf(state, 'pushed'), 'pushed', list, read, toRecords)) {
    state = withLane(state, 'pushed', step.lane);
    yield { records: step.records, cursor: state as unknown as Cursor };
  }
}

interface LaneStep {
  readonly records: SyncRecord[];
  readonly lane: LaneCursor;
}

async function* readLane(
  start: LaneCursor,
  lane: LaneName,
  list: ListSorted,
  read: Set<number>,
  toRecords: ToRecords,
): AsyncGenerator<LaneStep> {
  const { since } = start;
  const timeOf = TIME_OF[lane];
  let page = start.pass?.page ?? 1;
  let mark: Mark | null = start.pass?.mark ?? null;
  // A page-numbered listing shifts up when a repository is deleted between two page
  // requests, and the one after it is never served. Only a listing of several pages (or one
  // resumed after a crash) can have skipped one; a second listing of the window finds it.
  const mustVerify = start.pass !== null || page > 1;
  const fresh = (repos: readonly GitHubRepo[]) => repos.filter((repo) => !read.has(repo.id));
  for (let requests = 1; ; requests++, page++) {
    const window = await listWindow(list, lane, page, since, timeOf);
    for (const repo of window.repos) mark = advance(mark, repo, timeOf);
    const records = await toRecords(fresh(window.repos));
    for (const repo of window.repos) read.add(repo.id);
    if (!window.done) {
      yield { records, lane: { since, pass: { page: page + 1, mark } } };
      continue;
    }
    if (!mustVerify && requests === 1) {
      yield { records, lane: { since: mergeMarks(since, mark), pass: null } };
      return;
    }
    // Committed with the pass still open: a crash here resumes at this page and verifies.
    yield { records, lane: { since, pass: { page, mark } } };
    break;
  }
  const skipped: GitHubRepo[] = [];
  for (let verifyPage = 1; ; verifyPage++) {
    const window = await listWindow(list, lane, verifyPage, since, timeOf);
    for (const repo of window.repos) mark = advance(mark, repo, timeOf);
    for (const repo of fresh(window.repos)) {
      skipped.push(repo);
      read.add(repo.id);
    }
    if (window.done) break;
  }
  yield { records: await toRecords(skipped), lane: { since: mergeMarks(since, mark), pass: null } };
}

/** One page of a listing, cut where it reaches the last pass's mark. */
async function listWindow(
  list: ListSorted,
  lane: LaneName,
  page: number,
  since: Mark | null,
  timeOf: TimeOf,
): Promise<{ repos: GitHubRepo[]; done: boolean }> {
  const listing = await list(lane, page);
  const repos: GitHubRepo[] = [];
  for (const repo of listing.repos) {
    const state = classify(repo, since, timeOf);
    if (state === 'stop') return { repos, done: true };
    if (state === 'new') repos.push(repo);
  }
  return { repos, done: !listing.hasNext };
}

function laneOf(state: IncrementalCursor, lane: LaneName): LaneCursor {
  return lane === 'updated' ? { since: state.since, pass: state.pass } : state.pushed;
}

function withLane(state: IncrementalCursor, lane: LaneName, cursor: LaneCursor): IncrementalCursor {
  return lane === 'updated' ? { ...state, ...cursor } : { ...state, pushed: cursor };
}
