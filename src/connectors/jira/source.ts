import { type Cursor, KeepsyncError, type SyncRecord } from '../../model/index.js';
import {
  checkOptions,
  type ReadOptions,
  type Source,
  type SourceMode,
  type SourcePage,
} from '../../sync/index.js';
import type { JiraAuth, JiraClient } from './client.js';
import { checkConnection, connectJira } from './connection.js';
import { advanceCursor, jqlMinute, parseJiraTime, parseUpdatedCursor } from './cursor.js';
import { sourceSchema } from './options-schema.js';
import { ISSUE_FIELDS, issueRecord } from './records.js';
import { JiraRequestError, type JiraRequester } from './requests.js';

export interface JiraSourceOptions {
  /** JQL queries by name, each its own unit `jql:<name>`; without ORDER BY (the source sorts). */
  queries?: Readonly<Record<string, string>>;
  /** Project keys, each its own unit `project:<KEY>`. */
  projects?: readonly string[];
  auth: JiraAuth;
  /** The site, `https://<site>.atlassian.net` (with OAuth, optional: the API gateway is used). */
  baseUrl?: string;
  /** The site URL issue links point at. @default baseUrl */
  siteUrl?: string;
  /**
   * `incremental`: each run reads issues updated since the last one. `full`: every pass lists
   * every issue, so one that is gone can be deleted downstream.
   * @default 'incremental'
   */
  mode?: SourceMode;
  /** Extra issue fields (e.g. `customfield_10016`) copied into the record under their id. */
  fields?: readonly string[];
  /**
   * How far before the last mark a run looks again, for issues the search index showed late.
   * Issues read then and not changed since are skipped.
   * @default 60_000
   */
  overlapMs?: number;
  /** Issues per search page; Jira returns at most 100 with these fields. @default 100 */
  pageSize?: number;
  /** Requests per second per credential. @default 10 */
  requestsPerSecond?: number;
  /**
   * Requests that may start back to back (see RateLimiter), so a start a loaded machine made
   * late is made up by the next ones. @default requestsPerSecond, at most 10
   */
  burst?: number;
  /** @default 5 */
  retries?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  /** A client to use instead of jira.js (tests). */
  client?: JiraClient;
  /** @default 'jira' */
  name?: string;
}

const PROJECT_KEY = /^[A-Z][A-Z0-9_]{0,254}$/;
const ORDER_BY = /\border\s+by\b/i;
/** JQL `id in (...)` takes many ids, but one page returns at most 100 issues. */
const IDS_PER_QUERY = 100;

/**
 * Reads Jira issues found by JQL, keyed on the issue id. Incremental reads sort by `updated`
 * and resume from the newest time read: JQL compares at minute precision in the user's time
 * zone, so each run asks from the start of that minute (less an overlap) and skips issues it
 * has already read at the same `updated` time, which never misses issues sharing a minute.
 */
export function source(options: JiraSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'jira.source');
  const units = unitsOf(options);
  if (units.size === 0)
    throw new KeepsyncError('CONFIG_INVALID', 'jira.source needs `queries` or `projects`');
  checkConnection(options, 'jira.source');
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`pageSize\` to be an integer from 1 to 100, got ${pageSize}`,
    );
  }
  return {
    name: options.name ?? 'jira',
    mode: options.mode ?? 'incremental',
    units: () => [...units.keys()].map((id) => ({ id })),
    async *read(unit, readOptions) {
      const jql = units.get(unit);
      if (jql === undefined)
        throw new KeepsyncError('CONFIG_INVALID', `jira source has no unit ${unit}`);
      const { client, request } = await connectJira(options, readOptions);
      const context: ReadContext = { options, client, request, readOptions, pageSize };
      if (readOptions.keys) yield* readKeys(context, jql, readOptions.keys);
      else if ((options.mode ?? 'incremental') === 'full') yield* readFull(context, jql);
      else yield* readIncremental(context, jql);
    },
  };
}

function unitsOf(options: JiraSourceOptions): Map<string, string> {
  const units = new Map<string, string>();
  for (const [name, jql] of Object.entries(options.queries ?? {})) {
    if (ORDER_BY.test(jql)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `jira query \`${name}\` has an ORDER BY; leave it out, the source sorts by update time`,
      );
    }
    units.set(`jql:${name}`, jql);
  }
  for (const key of options.projects ?? []) {
    if (!PROJECT_KEY.test(key)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected a Jira project key such as \`ENG\`, got \`${key}\``,
      );
    }
    units.set(`project:${key}`, `project = "${key}"`);
  }
  return units;
}

interface ReadContext {
  readonly options: JiraSourceOptions;
  readonly client: JiraClient;
  readonly request: JiraRequester;
  readonly readOptions: ReadOptions;
  readonly pageSize: number;
}

function search(context: ReadContext, jql: string, nextPageToken: string | undefined) {
  return context.request('POST /rest/api/3/search/jql', () =>
    context.client.search({
      jql,
      fields: [...ISSUE_FIELDS, ...(context.options.fields ?? [])],
      maxResults: context.pageSize,
      nextPageToken,
    }),
  );
}

function toRecord(context: ReadContext, issue: Parameters<typeof issueRecord>[0]): SyncRecord {
  const { options } = context;
  return issueRecord(issue, options.siteUrl ?? options.baseUrl, options.fields ?? []);
}

async function* readIncremental(context: ReadContext, unitJql: string): AsyncGenerator<SourcePage> {
  const overlapMs = context.options.overlapMs ?? 60_000;
  let cursor = parseUpdatedCursor(context.readOptions.cursor);
  let where = `(${unitJql})`;
  if (cursor.mark !== null) {
    const timeZone = await context.request('GET /rest/api/3/myself', () =>
      context.client.timeZone(),
    );
    where += ` AND updated >= "${jqlMinute(Date.parse(cursor.mark) - overlapMs, timeZone)}"`;
  }
  const jql = `${where} ORDER BY updated ASC, key ASC`;
  let token: string | undefined;
  do {
    const page = await search(context, jql, token);
    const read: Array<{ id: string; updated: number }> = [];
    const records: SyncRecord[] = [];
    for (const issue of page.issues) {
      const updated = parseJiraTime(issue.fields?.updated);
      if (updated === null) continue;
      const at = new Date(updated).toISOString();
      if (cursor.seen[String(issue.id)] !== at) records.push(toRecord(context, issue));
      read.push({ id: String(issue.id), updated });
    }
    cursor = advanceCursor(cursor, read, overlapMs);
    token = page.nextPageToken;
    yield { records, cursor: cursor as unknown as Cursor };
  } while (token);
}

async function* readFull(context: ReadContext, unitJql: string): AsyncGenerator<SourcePage> {
  const jql = `${unitJql} ORDER BY key ASC`;
  const resumed = context.readOptions.cursor;
  let token =
    resumed && typeof resumed === 'object' && 'token' in resumed
      ? String(resumed.token)
      : undefined;
  do {
    let page: Awaited<ReturnType<typeof search>>;
    try {
      page = await search(context, jql, token);
    } catch (error) {
      // A page token lives 7 days: a pass resumed after that starts over.
      if (!(token && error instanceof JiraRequestError && error.status === 400)) throw error;
      token = undefined;
      page = await search(context, jql, undefined);
    }
    token = page.nextPageToken;
    yield {
      records: page.issues.map((issue) => toRecord(context, issue)),
      cursor: token ? ({ token } as Cursor) : null,
    };
  } while (token);
}

async function* readKeys(
  context: ReadContext,
  unitJql: string,
  keys: readonly string[],
): AsyncGenerator<SourcePage> {
  const ids = keys.filter((key) => /^\d+$/.test(key));
  for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
    const chunk = ids.slice(start, start + IDS_PER_QUERY);
    const jql = `(${unitJql}) AND id in (${chunk.join(', ')}) ORDER BY key ASC`;
    let token: string | undefined;
    do {
      const page = await search(context, jql, token);
      token = page.nextPageToken;
      yield {
        records: page.issues.map((issue) => toRecord(context, issue)),
        cursor: context.readOptions.cursor,
      };
    } while (token);
  }
}
