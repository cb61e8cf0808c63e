import type { FakeResponse } from './fake-server.js';

/** What the entries collection reads of an entry. */
export interface ListedEntry {
  readonly id: string;
  readonly contentType: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Above this, a request no longer fits Contentful's 7,600-character URI limit. */
const MAX_URI = 7_600;

/** The `sys` attributes `order` may name here (the CMA orders by any sys or field attribute). */
const ORDERABLE: Record<string, (entry: ListedEntry) => string | number> = {
  'sys.id': (entry) => entry.id,
  'sys.createdAt': (entry) => Date.parse(entry.createdAt),
  'sys.updatedAt': (entry) => Date.parse(entry.updatedAt),
};

const RANGE = /^sys\.(updatedAt|createdAt)\[(gte|gt|lte|lt)\]$/;

/**
 * `GET /entries` as the CMA reference describes the collection: `skip`/`limit` (1 to 1000,
 * default 100) with `total`, `order` as a comma list of attributes (`-` for descending),
 * `sys.id[in]`, `content_type`, and range filters on `sys.updatedAt`/`sys.createdAt`. An
 * answer is a page of `Array` with `total`, `skip`, `limit`, `items`.
 */
export function listEntries<T extends ListedEntry>(
  entries: Iterable<T>,
  query: URLSearchParams,
  pathLength: number,
  fail: (status: number, message: string) => FakeResponse,
  json: (entry: T) => unknown,
): FakeResponse {
  if (pathLength + query.toString().length > MAX_URI) {
    return fail(400, 'The request URI is too long.');
  }
  const limit = Number(query.get('limit') ?? 100);
  const skip = Number(query.get('skip') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    return fail(400, 'The limit parameter should be an integer between 1 and 1000.');
  }
  if (!Number.isInteger(skip) || skip < 0) {
    return fail(400, 'The skip parameter should be a non-negative integer.');
  }
  const order = (query.get('order') ?? 'sys.id').split(',').map((term) => {
    const descending = term.startsWith('-');
    return { read: ORDERABLE[descending ? term.slice(1) : term], descending, term };
  });
  const unknown = order.find((term) => !term.read);
  if (unknown) return fail(400, `The order parameter cannot sort by ${unknown.term}.`);
  const ranges: Array<(entry: T) => boolean> = [];
  for (const [name, value] of query) {
    const range = RANGE.exec(name);
    if (!range) continue;
    const bound = Date.parse(value);
    if (Number.isNaN(bound)) return fail(400, `${name} expects a date, got ${value}.`);
    const at = (entry: T) =>
      Date.parse(range[1] === 'updatedAt' ? entry.updatedAt : entry.createdAt);
    const test = {
      gte: (ms: number) => ms >= bound,
      gt: (ms: number) => ms > bound,
      lte: (ms: number) => ms <= bound,
      lt: (ms: number) => ms < bound,
    }[range[2] as 'gte' | 'gt' | 'lte' | 'lt'];
    ranges.push((entry) => test(at(entry)));
  }
  const ids = query.get('sys.id[in]')?.split(',');
  const contentType = query.get('content_type');
  const matching = [...entries]
    .filter((entry) => !ids || ids.includes(entry.id))
    .filter((entry) => !contentType || entry.contentType === contentType)
    .filter((entry) => ranges.every((inRange) => inRange(entry)))
    .sort((a, b) => {
      for (const { read, descending } of order) {
        const [x, y] = [read!(a), read!(b)];
        if (x !== y) return (x < y ? -1 : 1) * (descending ? -1 : 1);
      }
      return 0;
    });
  return {
    status: 200,
    body: {
      sys: { type: 'Array' },
      total: matching.length,
      skip,
      limit,
      items: matching.slice(skip, skip + limit).map(json),
    },
  };
}
