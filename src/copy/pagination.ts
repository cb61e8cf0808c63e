import type { ResourceDocument } from './resource.js';
import type { ResourceSchema } from './schema.js';

/**
 * The next page of a listing, in the first style the response uses: a `next` link (HAL or
 * simple), an RFC 8288 `ResourceLink: <…>; rel="next"` header, `offset`/`limit` with a total, or
 * `page` with a page count. Undefined when this was the last page.
 */
export function nextPageUrl(
  doc: ResourceDocument | null,
  url: string,
  itemCount: number,
  linkHeader: string | null,
  schema: ResourceSchema,
): string | undefined {
  const next = doc ? schema.links(doc).find((link) => link.rel === 'next') : undefined;
  if (next) return new URL(next.href, url).href;
  const headerNext = linkHeader ? nextFromLinkHeader(linkHeader) : undefined;
  if (headerNext) return new URL(headerNext, url).href;
  if (!doc || itemCount === 0) return undefined;
  if (typeof doc.offset === 'number') return nextByOffset(doc, url, itemCount);
  if (typeof doc.page === 'number') return nextByPage(doc, url, itemCount);
  return undefined;
}

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextFromLinkHeader(header: string): string | undefined {
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>(.*)/.exec(part.trim());
    if (match && /;\s*rel="?(?:[^";]*\s)?next(?:\s[^";]*)?"?/i.test(match[2]!)) return match[1];
  }
  return undefined;
}

function firstNumber(doc: ResourceDocument, names: readonly string[]): number | undefined {
  for (const name of names) {
    const value = doc[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

function nextByOffset(doc: ResourceDocument, url: string, itemCount: number): string | undefined {
  const offset = doc.offset as number;
  const limit = firstNumber(doc, ['limit', 'pageSize', 'page_size', 'per_page', 'perPage']);
  const total = firstNumber(doc, ['count', 'total', 'totalCount', 'total_count']);
  const nextOffset = offset + itemCount;
  if (total !== undefined ? nextOffset >= total : limit === undefined || itemCount < limit) {
    return undefined;
  }
  const next = new URL(url);
  next.searchParams.set('offset', String(nextOffset));
  if (limit !== undefined) next.searchParams.set('limit', String(limit));
  return next.href;
}

function nextByPage(doc: ResourceDocument, url: string, itemCount: number): string | undefined {
  const page = doc.page as number;
  const pages = firstNumber(doc, ['totalPages', 'total_pages', 'pages', 'pageCount', 'page_count']);
  const perPage = firstNumber(doc, ['perPage', 'per_page', 'pageSize', 'page_size', 'limit']);
  if (pages !== undefined ? page >= pages : perPage !== undefined && itemCount < perPage) {
    return undefined;
  }
  const next = new URL(url);
  next.searchParams.set('page', String(page + 1));
  return next.href;
}
