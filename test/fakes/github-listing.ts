import type { FakeRepo } from './github.js';

/**
 * One page of a repository listing as GitHub serves it: filtered by `type`, sorted by `sort`
 * and `direction`, cut by `page`/`per_page` (at most 100), with a Link header of the pages
 * around it.
 */
export function listingPage(
  all: readonly FakeRepo[],
  query: URLSearchParams,
  url: string,
): { slice: FakeRepo[]; link: string | undefined } {
  const type = query.get('type') ?? 'all';
  const sort = query.get('sort') ?? 'created';
  const direction = query.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc');
  const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
  const page = Math.max(1, Number(query.get('page') ?? 1));
  const selected = all.filter((repo) =>
    type === 'all' ? true : type === 'forks' ? repo.fork : repo.visibility === type,
  );
  const keyOf = (repo: FakeRepo): string =>
    sort === 'full_name'
      ? repo.name.toLowerCase()
      : sort === 'updated'
        ? repo.updated_at
        : sort === 'pushed'
          ? (repo.pushed_at ?? '')
          : repo.created_at;
  selected.sort((a, b) => {
    const order = keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : a.id - b.id;
    return direction === 'asc' ? order : -order;
  });
  const last = Math.max(1, Math.ceil(selected.length / perPage));
  const slice = selected.slice((page - 1) * perPage, page * perPage);
  const link = (n: number, rel: string) =>
    `<${url}?${new URLSearchParams({ ...Object.fromEntries(query), page: String(n) })}>; rel="${rel}"`;
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  return { slice, link: links.length > 0 ? links.join(', ') : undefined };
}
