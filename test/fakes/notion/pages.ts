import { randomUUID } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../fake-server.js';
import { ARCHIVED, fail, missing } from './errors.js';
import { blocksProblem, payloadProblem } from './limits.js';
import { type FakePage, MAX_PAGE_SIZE, type NotionState } from './state.js';
import {
  emptyValue,
  type Filter,
  matches,
  pageJson,
  plainValue,
  storedBlock,
  validateValues,
} from './values.js';

/**
 * `POST /v1/data_sources/{id}/query`: filters, sorts, cursors, the query visibility lag, and the
 * cap on rows one query serves (then `request_status` says it is incomplete).
 */
export function queryDataSource(state: NotionState, { params, body }: FakeRequest): FakeResponse {
  const source = state.dataSources.get(params.id!);
  if (!source) return missing(params.id!);
  const query = (body ?? {}) as {
    filter?: Filter;
    sorts?: Array<{ timestamp?: string; property?: string; direction: string }>;
    start_cursor?: string;
    page_size?: number;
    in_trash?: boolean;
  };
  const pageSize = query.page_size ?? MAX_PAGE_SIZE;
  if (pageSize > MAX_PAGE_SIZE) {
    return fail(400, 'validation_error', 'body.page_size should be ≤ `100`.');
  }
  const visibleBefore = Date.now() - state.queryLagMs;
  // Queries return pages in the trash only when asked, and then only those.
  const inTrash = query.in_trash === true;
  let results = [...state.pages.values()].filter(
    (page) => page.parent.data_source_id === source.id && page.in_trash === inTrash,
  );
  results = results.filter(
    (page) =>
      (state.madeAt.get(page.id) ?? 0) <= visibleBefore &&
      (query.filter === undefined || matches(page, query.filter)),
  );
  const sorts = query.sorts ?? [{ timestamp: 'created_time', direction: 'descending' }];
  results.sort((a, b) => {
    for (const sort of sorts) {
      const key = (page: FakePage) =>
        sort.timestamp
          ? String(page[sort.timestamp as 'last_edited_time'])
          : String(plainValue(page.properties[sort.property!]) ?? '');
      const order = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
      if (order !== 0) return sort.direction === 'ascending' ? order : -order;
    }
    return a.id < b.id ? -1 : 1;
  });
  let start = 0;
  if (query.start_cursor) {
    start = results.findIndex((page) => page.id === query.start_cursor);
    if (start < 0) return fail(400, 'validation_error', 'The start_cursor provided is invalid.');
  }
  // One query (one filter and sort) serves at most the first `limit` rows, then says so.
  const limit = state.queryResultLimit;
  const end = Math.min(start + pageSize, limit);
  const next = end < limit ? results[end] : undefined;
  const incomplete = end >= limit && results.length > limit;
  return {
    status: 200,
    body: {
      object: 'list',
      results: results.slice(start, end).map(pageJson),
      next_cursor: next?.id ?? null,
      has_more: next !== undefined,
      request_status: incomplete
        ? { type: 'incomplete', incomplete_reason: 'query_result_limit_reached' }
        : { type: 'complete' },
      type: 'page_or_data_source',
      page_or_data_source: {},
    },
  };
}

/** `POST /v1/pages`: a page in a data source, with its body blocks. */
export function createPage(state: NotionState, { body }: FakeRequest): FakeResponse {
  const input = body as {
    parent?: { type?: string; data_source_id?: string };
    properties?: Record<string, Record<string, unknown>>;
    children?: Array<Record<string, unknown>>;
  };
  const sourceId = input.parent?.data_source_id;
  const source = sourceId === undefined ? undefined : state.dataSources.get(sourceId);
  if (!source) return missing(String(sourceId));
  const tooBig = payloadProblem(body) ?? blocksProblem(input.children ?? []);
  if (tooBig) return fail(400, 'validation_error', tooBig);
  const properties = validateValues(source.properties, input.properties ?? {}, (id) =>
    state.pages.has(id),
  );
  if (typeof properties === 'string') return fail(400, 'validation_error', properties);
  const now = state.minute();
  const id = randomUUID();
  state.madeAt.set(id, Date.now());
  for (const [name, schema] of Object.entries(source.properties)) {
    properties[name] ??= emptyValue(schema);
  }
  const page: FakePage = {
    object: 'page',
    id,
    created_time: now,
    last_edited_time: now,
    in_trash: false,
    archived: false,
    parent: { type: 'data_source_id', data_source_id: source.id, database_id: source.databaseId },
    properties,
    url: `https://www.notion.so/${id.replaceAll('-', '')}`,
    children: (input.children ?? []).map((block) => storedBlock(block, id, now)),
  };
  state.pages.set(id, page);
  return { status: 200, body: pageJson(page) };
}

/** `PATCH /v1/pages/{id}`: property edits, trash and restore. */
export function updatePage(state: NotionState, { params, body }: FakeRequest): FakeResponse {
  const page = state.pages.get(params.id!);
  if (!page) return missing(params.id!);
  const input = body as {
    properties?: Record<string, Record<string, unknown>>;
    in_trash?: boolean;
    archived?: boolean;
  };
  const trash = input.in_trash ?? input.archived;
  const edits = Object.keys(input.properties ?? {}).length > 0;
  if (page.in_trash && edits && trash !== false) return fail(400, 'validation_error', ARCHIVED);
  const source = state.dataSources.get(page.parent.data_source_id)!;
  const properties = validateValues(source.properties, input.properties ?? {}, (id) =>
    state.pages.has(id),
  );
  if (typeof properties === 'string') return fail(400, 'validation_error', properties);
  Object.assign(page.properties, properties);
  if (trash !== undefined) {
    page.in_trash = trash;
    page.archived = trash;
  }
  page.last_edited_time = state.minute();
  return { status: 200, body: pageJson(page) };
}
