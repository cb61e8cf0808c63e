import type { FakeRequest, FakeResponse } from '../fake-server.js';
import { ARCHIVED, fail, missing } from './errors.js';
import { blocksProblem, payloadProblem } from './limits.js';
import { MAX_PAGE_SIZE, type NotionState } from './state.js';
import { storedBlock } from './values.js';

/** `GET /v1/blocks/{id}/children`: a page's body, paged by block id cursors. */
export function listChildren(state: NotionState, { params, query }: FakeRequest): FakeResponse {
  const page = state.pages.get(params.id!);
  if (!page) return missing(params.id!);
  const size = Math.min(MAX_PAGE_SIZE, Number(query.get('page_size') ?? MAX_PAGE_SIZE));
  const start = query.get('start_cursor')
    ? page.children.findIndex((block) => block.id === query.get('start_cursor'))
    : 0;
  const slice = page.children.slice(start, start + size);
  const next = page.children[start + size];
  return {
    status: 200,
    body: {
      object: 'list',
      results: slice,
      next_cursor: (next?.id as string | undefined) ?? null,
      has_more: next !== undefined,
      type: 'block',
      block: {},
    },
  };
}

/** `PATCH /v1/blocks/{id}/children`: appends blocks within the request limits. */
export function appendChildren(state: NotionState, { params, body }: FakeRequest): FakeResponse {
  const page = state.pages.get(params.id!);
  if (!page) return missing(params.id!);
  const children = (body as { children?: Array<Record<string, unknown>> })?.children ?? [];
  if (page.in_trash) return fail(400, 'validation_error', ARCHIVED);
  const tooBig = payloadProblem(body) ?? blocksProblem(children);
  if (tooBig) return fail(400, 'validation_error', tooBig);
  const stored = children.map((block) => storedBlock(block, page.id, state.minute()));
  page.children.push(...stored);
  page.last_edited_time = state.minute();
  return {
    status: 200,
    body: {
      object: 'list',
      results: stored,
      next_cursor: null,
      has_more: false,
      type: 'block',
      block: {},
    },
  };
}

/** `DELETE /v1/blocks/{id}`: the block leaves its page's children and is answered trashed. */
export function deleteBlock(state: NotionState, id: string): FakeResponse {
  for (const page of state.pages.values()) {
    const index = page.children.findIndex((block) => block.id === id);
    if (index < 0) continue;
    if (page.in_trash) return fail(400, 'validation_error', ARCHIVED);
    const [block] = page.children.splice(index, 1);
    page.last_edited_time = state.minute();
    return { status: 200, body: { ...block, in_trash: true, archived: true } };
  }
  return missing(id);
}
