import type { FakeResponse } from '../fake-server.js';

/**
 * Page objects hold at most 25 references per property value: relations (the value then says
 * `has_more: true`, as documented for relations), people (cut with no flag), and page or person
 * mentions in a title or rich text (parts past the 25th mention left out). The full value is
 * read through "retrieve a page property item".
 */
export const REFERENCES_PER_VALUE = 25;

/** Types whose "retrieve a page property item" answer is a paginated list of items. */
const PAGED_TYPES = new Set(['title', 'rich_text', 'relation', 'people']);
const MAX_PAGE_SIZE = 100;

/** A property value as a page object carries it: long reference lists cut at 25. */
export function truncatedValue(value: Record<string, unknown>): Record<string, unknown> {
  const type = value.type as string;
  const items = (value[type] as unknown[] | undefined) ?? [];
  if (type === 'relation') {
    return {
      ...value,
      relation: items.slice(0, REFERENCES_PER_VALUE),
      has_more: items.length > REFERENCES_PER_VALUE,
    };
  }
  if (type === 'people') return { ...value, people: items.slice(0, REFERENCES_PER_VALUE) };
  if (type === 'title' || type === 'rich_text') {
    let mentions = 0;
    const kept = items.filter(
      (part) =>
        (part as { type?: string }).type !== 'mention' || ++mentions <= REFERENCES_PER_VALUE,
    );
    return { ...value, [type]: kept };
  }
  return value;
}

/**
 * `GET /v1/pages/{page_id}/properties/{property_id}`: a title, rich text, relation or people
 * value as a paginated list of property items, one per rich text part or reference
 * (`start_cursor`, `page_size` up to 100); any other value as one item.
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
