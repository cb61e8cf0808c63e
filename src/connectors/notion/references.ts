import type { NotionClient, NotionPage } from './client.js';
import type { Request } from './requests.js';

/** Property types whose values a page object cuts at 25 references, saying `has_more`. */
const PAGED_TYPES = new Set(['relation', 'people']);

/**
 * The page with every cut reference list read in full through "retrieve a page property
 * item": a page object holds at most 25 relations or people per value. Pages with no cut
 * value are returned as they are, with no request.
 */
export async function withAllReferences(
  page: NotionPage,
  client: NotionClient,
  request: Request,
): Promise<NotionPage> {
  const cut = Object.entries(page.properties).filter(
    ([, value]) => PAGED_TYPES.has(value.type as string) && value.has_more === true,
  );
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
    properties[name] = { ...value, [type]: items, has_more: false };
  }
  return { ...page, properties };
}
