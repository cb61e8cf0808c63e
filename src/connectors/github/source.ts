import { type Cursor, KeepsyncError, type SyncRecord } from '../../model/index.js';
import {
  type ConfirmOptions,
  checkOptions,
  type MissingCheck,
  type ReadOptions,
  type Source,
  type SourceMode,
  type SourcePage,
} from '../../sync/index.js';
import {
  createOctokitClient,
  type GitHubAuth,
  type GitHubClient,
  type GitHubRepo,
  type RepoPage,
} from './client.js';
import { type ListSorted, readIncremental } from './incremental.js';
import { sourceSchema } from './options-schema.js';
import { OrgIdentity, orgCursor, parseOrgCursor } from './org-identity.js';
import { repoRecord } from './records.js';

/** What an enrichment hook gets for each repository. */
export interface GitHubEnrichContext {
  /** The record built from the repository; return it changed (or as it is). */
  readonly record: SyncRecord;
  /** The repository as the API returned it. */
  readonly repo: GitHubRepo;
  /** The authenticated, throttled Octokit, for extra calls (releases, languages...). */
  readonly octokit: GitHubClient['octokit'];
  readonly signal?: AbortSignal | undefined;
}

export interface GitHubSourceOptions {
  /** Organisations to read, each its own unit `org:<name>`. */
  orgs?: readonly string[];
  /** Repositories as `owner/name`, read together as the unit `repos`. */
  repos?: readonly string[];
  /** A token, or a GitHub App installation. Required unless `client` is given. */
  auth?: GitHubAuth;
  /**
   * `incremental`: org listings sorted by update time and by push time, newest first,
   * stopping at the last pass; only changed or pushed repositories are read. `full`: every pass lists every repository, so
   * one that disappears can be archived or deleted downstream.
   * @default 'incremental'
   */
  mode?: SourceMode;
  /** Repositories to leave out, as `owner/name` or a bare name (case-insensitive). */
  exclude?: readonly string[];
  /** Read each repository's README into the record body (one request per changed repo). @default false */
  readme?: boolean;
  /** Called once per repository record, to add fields from other endpoints. */
  enrich?: (context: GitHubEnrichContext) => SyncRecord | Promise<SyncRecord>;
  /** @default 100 (GitHub's maximum) */
  perPage?: number;
  /** @default 'https://api.github.com' (GitHub Enterprise Server: `https://HOST/api/v3`) */
  baseUrl?: string;
  /** Per-request timeout. @default 30_000 */
  timeoutMs?: number;
  /** Retries of a server error (5xx) per request. @default 3 */
  retries?: number;
  /**
   * How many times one request may wait out a rate limit; then the unit waits, unpaused,
   * until the limit resets. @default 5
   */
  rateLimitRetries?: number;
  /**
   * The longest wait for a rate limit to reset that holds the run; a primary limit resetting
   * later (up to an hour) pauses the unit until its `x-ratelimit-reset` instead, and the
   * engine runs it again then. @default 300_000
   */
  maxRateLimitWaitMs?: number;
  /**
   * The wait on a secondary rate limit that sends no `retry-after` (GitHub asks for at least
   * a minute). @default 60_000
   */
  secondaryRateLimitWaitMs?: number;
  /** A client to use instead of Octokit (tests). */
  client?: GitHubClient;
  /** @default 'github' */
  name?: string;
}

interface Settings {
  readonly options: GitHubSourceOptions;
  readonly perPage: number;
  readonly excluded: ReadonlySet<string>;
}

const REPOS_UNIT = 'repos';

/**
 * Reads GitHub repositories as records keyed on the repository id: one unit per organisation
 * plus one for named repositories. Incremental org reads list by update time, then by push
 * time, each stopping at the previous pass: a no-change run costs two requests per org.
 */
export function source(options: GitHubSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'github.source');
  if (!options.client && !options.auth) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'github.source needs `auth`: `{ token }` or `{ appId, privateKey, installationId }`',
    );
  }
  if ((options.orgs?.length ?? 0) === 0 && (options.repos?.length ?? 0) === 0) {
    throw new KeepsyncError('CONFIG_INVALID', 'github.source needs `orgs` or `repos`');
  }
  const perPage = options.perPage ?? 100;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`perPage\` to be an integer from 1 to 100, got ${perPage}`,
    );
  }
  const settings: Settings = {
    options,
    perPage,
    excluded: new Set((options.exclude ?? []).map((name) => name.toLowerCase())),
  };
  return {
    name: options.name ?? 'github',
    mode: options.mode ?? 'incremental',
    units: () => [
      ...(options.orgs ?? []).map((org) => ({ id: `org:${org}` })),
      ...((options.repos?.length ?? 0) > 0 ? [{ id: REPOS_UNIT }] : []),
    ],
    read: (unit, readOptions) => readUnit(settings, unit, readOptions),
    confirmMissing: (unit, keys, confirmOptions) =>
      confirmMissing(settings, unit, keys, confirmOptions),
  };
}

async function clientFor(
  settings: Settings,
  telemetry: ReadOptions['telemetry'],
): Promise<GitHubClient> {
  const { options } = settings;
  return (
    options.client ??
    (await createOctokitClient({
      auth: options.auth!,
      baseUrl: options.baseUrl ?? 'https://api.github.com',
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 3,
      rateLimitRetries: options.rateLimitRetries ?? 5,
      maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? 300_000,
      secondaryRateLimitWaitMs: options.secondaryRateLimitWaitMs ?? 60_000,
      onRateLimitWait: (ms) => telemetry.waitedForRateLimit(ms),
    }))
  );
}

/**
 * Looks each key up by repository id: gone when GitHub answers 404, or when the repository
 * now lives outside the unit (transferred, renamed out of `repos`, or excluded).
 */
async function confirmMissing(
  settings: Settings,
  unit: string,
  keys: readonly string[],
  options: ConfirmOptions,
): Promise<MissingCheck> {
  checkUnit(settings, unit);
  const client = await clientFor(settings, options.telemetry);
  const named = new Set((settings.options.repos ?? []).map((name) => name.toLowerCase()));
  const org = unit.startsWith('org:') ? unit.slice(4).toLowerCase() : null;
  const inUnit = (repo: GitHubRepo): boolean => {
    if (isExcluded(settings, repo)) return false;
    if (unit === REPOS_UNIT) return named.has(repo.full_name.toLowerCase());
    const owner = repo.owner?.login ?? repo.full_name.split('/')[0] ?? '';
    return owner.toLowerCase() === org;
  };
  const gone: string[] = [];
  const present: GitHubRepo[] = [];
  for (const key of keys) {
    // Only a key this source wrote (a repository id) can be confirmed; others are kept.
    if (!/^[1-9]\d*$/.test(key)) continue;
    const repo = await client.getRepoById(Number(key), options.signal);
    if (repo && inUnit(repo)) present.push(repo);
    else gone.push(key);
  }
  const readOptions: ReadOptions = { cursor: null, ...options };
  const found = await toRecords({ settings, client, readOptions }, present);
  return { gone, found };
}

async function* readUnit(
  settings: Settings,
  unit: string,
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const { options } = settings;
  const client = await clientFor(settings, readOptions.telemetry);
  const context = { settings, client, readOptions };
  if (unit === REPOS_UNIT) {
    yield* readNamed(context, options.repos ?? []);
    return;
  }
  checkUnit(settings, unit);
  const org = unit.slice(4);
  const saved = parseOrgCursor(readOptions.cursor);
  const identity = new OrgIdentity(org, saved.orgId, client);
  const list = async (sort: 'updated' | 'pushed' | 'full_name', page: number) => {
    const listing = await client.listOrgRepos({
      org,
      sort,
      perPage: settings.perPage,
      page,
      signal: readOptions.signal,
    });
    await identity.check(listing, readOptions.signal);
    return listing;
  };
  const pages = readOptions.keys
    ? // A targeted refresh: the listing cannot be filtered by id, so read the org in full.
      readFull(context, list, null)
    : (options.mode ?? 'incremental') === 'incremental'
      ? readIncremental(saved.listing, list satisfies ListSorted, (repos) =>
          toRecords(context, repos),
        )
      : readFull(context, list, saved.listing);
  for await (const page of pages) {
    yield {
      ...page,
      cursor: orgCursor(identity.id, page.cursor),
      nextPassCursor: orgCursor(identity.id, null),
    };
  }
}

interface ReadContext {
  readonly settings: Settings;
  readonly client: GitHubClient;
  readonly readOptions: ReadOptions;
}

async function* readFull(
  context: ReadContext,
  list: (sort: 'full_name', page: number) => Promise<RepoPage>,
  cursor: Cursor,
): AsyncGenerator<SourcePage> {
  let page = typeof cursor === 'number' ? cursor : 1;
  for (;;) {
    const listing = await list('full_name', page);
    const records = await toRecords(context, listing.repos);
    yield { records, cursor: listing.hasNext ? page + 1 : null };
    if (!listing.hasNext) return;
    page++;
  }
}

async function* readNamed(
  context: ReadContext,
  names: readonly string[],
): AsyncGenerator<SourcePage> {
  const { cursor, signal } = context.readOptions;
  const perPage = context.settings.perPage;
  const seen = new Set<number>();
  for (let start = typeof cursor === 'number' ? cursor : 0; start < names.length; ) {
    const end = Math.min(names.length, start + perPage);
    const repos: GitHubRepo[] = [];
    for (const name of names.slice(start, end)) {
      const repo = await context.client.getRepo(name, signal);
      // Names match without regard to case, and an old name leads to the renamed repository:
      // two names may be one repository, read once.
      if (repo && !seen.has(repo.id)) repos.push(repo);
      if (repo) seen.add(repo.id);
      else {
        throw new KeepsyncError(
          'NOT_FOUND',
          `GitHub repository ${name} does not exist or is not visible to this credential`,
        );
      }
    }
    start = end;
    yield { records: await toRecords(context, repos), cursor: start < names.length ? start : null };
  }
}

async function toRecords(
  context: ReadContext,
  repos: readonly GitHubRepo[],
): Promise<SyncRecord[]> {
  const { options } = context.settings;
  const { keys, signal } = context.readOptions;
  const wanted = keys ? new Set(keys) : null;
  const records: SyncRecord[] = [];
  for (const repo of repos) {
    if (isExcluded(context.settings, repo)) continue;
    if (wanted && !wanted.has(String(repo.id))) continue;
    const readme = options.readme ? await context.client.getReadme(repo.full_name, signal) : null;
    let record = repoRecord(repo, readme);
    if (options.enrich) {
      record = await options.enrich({ record, repo, octokit: context.client.octokit, signal });
    }
    records.push(record);
  }
  return records;
}

function checkUnit({ options }: Settings, unit: string): void {
  if (unit === REPOS_UNIT && (options.repos?.length ?? 0) > 0) return;
  if (!unit.startsWith('org:') || !(options.orgs ?? []).includes(unit.slice(4))) {
    throw new KeepsyncError('CONFIG_INVALID', `github source has no unit ${unit}`);
  }
}

function isExcluded({ excluded }: Settings, repo: GitHubRepo): boolean {
  return excluded.has(repo.full_name.toLowerCase()) || excluded.has(repo.name.toLowerCase());
}
