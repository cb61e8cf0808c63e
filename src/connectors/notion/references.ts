import type { NotionClient, NotionPage } from './client.js';
import type { Request } from './requests.js';

/** References a page object holds per property value; past it the value is cut. */
const REFERENCES_PER_VALUE = 25;

/**
 * Whether a page object may hold only part of this value. Notion cuts relations and people at
 * 25 references (relations say `has_more`; people carry no flag) and keeps at most 25 page or
 * person mentions in a title or rich text, so a value at the cap is read in full.
 */
function mayBeCut(value: Readonly<Record<string, unknown>>): boolean {
  const type = value.type as string;
  const items = value[type];
  if (!Array.isArray(items)) return false;
  switch (type) {
    case 'relation':
    case 'people':
      return value.has_more === true || items.length >= REFERENCES_PER_VALUE;
    case 'title':
    case 'rich_text':
      return (
        items.filter((part) => (part as { type?: string }).type === 'mention').length >=
        REFERENCES_PER_VALUE
      );
    default:
      return false;
  }
}

/**
 * The page with every value that may be cut read in full through "retrieve a page property
 * item" (one item per reference or rich text part, 100 per request). Pages with no such value
 * are returned as they are, with no request.
 */
export async function withAllReferences(
  page: NotionPage,
  client: NotionClient,
  request: Request,
): Promise<NotionPage> {
  const cut = Object.entries(page.properties).filter(([, value]) => mayBeCut(value));
  if (cut.length === 0) return page;
  const properties = { ...page.properties };
  for (const [name, value] of cut) {
    const type = value.type as string;
    const propertyId = value.id as string;
    const items: unknown[] = [];
    let cursor: string | undefined;
    do {
      const result = await request(`GET /v1/pages/${page.id}/properties/${propertyId}`, (token) =>
        client.getPropertyItems(token, page.id, propertyId, cursor),
      );
      items.push(...result.results.map((item) => item[type]));
      cursor = result.has_more ? (result.next_cursor ?? undefined) : undefined;
    } while (cursor);
    properties[name] = {
      ...value,
      [type]: items,
      ...(type === 'relation' ? { has_more: false } : {}),
    };
  }
  return { ...page, properties };
}
