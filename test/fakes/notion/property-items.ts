import type { FakeResponse } from '../fake-server.js';

/**
 * Page objects hold at most 25 references per property value (relations, people); the value
 * then says `has_more: true` and the rest is read through "retrieve a page property item".
 */
export const REFERENCES_PER_VALUE = 25;

const PAGED_TYPES = new Set(['relation', 'people']);
const MAX_PAGE_SIZE = 100;

/** A property value as a page object carries it: long reference lists cut at 25. */
export function truncatedValue(value: Record<string, unknown>): Record<string, unknown> {
  const type = value.type as string;
  if (!PAGED_TYPES.has(type)) return value;
  const items = (value[type] as unknown[] | undefined) ?? [];
  return {
    ...value,
    [type]: items.slice(0, REFERENCES_PER_VALUE),
    has_more: items.length > REFERENCES_PER_VALUE,
  };
}

/**
 * `GET /v1/pages/{page_id}/properties/{property_id}`: a relation or people value as a paginated
 * list of property items (`start_cursor`, `page_size` up to 100); any other value as one item.
 */
export function propertyItems(
  value: Record<string, unknown> | undefined,
  query: URLSearchParams,
): FakeResponse {
  if (!value) {
    return {
      status: 404,
      body: {
        object: 'error',
        status: 404,
        code: 'object_not_found',
        message: 'Could not find property with the given id.',
      },
    };
  }
  const type = value.type as string;
  const id = value.id as string;
  if (!PAGED_TYPES.has(type)) {
    return { status: 200, body: { object: 'property_item', id, type, [type]: value[type] } };
  }
  const items = (value[type] as unknown[] | undefined) ?? [];
  const size = Math.min(MAX_PAGE_SIZE, Number(query.get('page_size') ?? MAX_PAGE_SIZE));
  const cursor = query.get('start_cursor');
  const start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0 || start > items.length) {
    return {
      status: 400,
      body: {
        object: 'error',
        status: 400,
        code: 'validation_error',
        message: 'The start_cursor provided is invalid.',
      },
    };
  }
  const end = start + size;
  const next = end < items.length ? Buffer.from(String(end)).toString('base64url') : null;
  return {
    status: 200,
    body: {
      object: 'list',
      results: items
        .slice(start, end)
        .map((item) => ({ object: 'property_item', id, type, [type]: item })),
      next_cursor: next,
      has_more: next !== null,
      type: 'property_item',
      property_item: { id, next_url: null, type, [type]: {} },
    },
  };
}
