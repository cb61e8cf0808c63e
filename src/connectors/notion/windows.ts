import { KeepsyncError } from '../../model/index.js';
import type { NotionClient, NotionPage, NotionQueryResult } from './client.js';
import type { Request } from './requests.js';

export interface WindowedQuery {
  readonly dataSourceId: string;
  readonly client: NotionClient;
  readonly request: Request;
  readonly pageSize: number;
  /** The last edit minute already read; null = from the start. */
  readonly since: string | null;
  /** Read the pages in the trash instead (a query leaves them out otherwise). */
  readonly inTrash?: boolean;
}

type EditBound = { readonly op: 'on_or_after' | 'after'; readonly at: string } | null;

/**
 * Every page edited at or after `since`, oldest edit first, in result pages. One query
 * returns at most 10,000 rows, then `has_more: false` with `request_status` "incomplete";
 * reading on from there needs a fresh query: from the last row's edit minute, or, when more
 * rows than the cap share that minute, through that minute by creation time.
 */
export async function* queryEdited(query: WindowedQuery): AsyncGenerator<readonly NotionPage[]> {
  let bound: EditBound = query.since ? { op: 'on_or_after', at: query.since } : null;
  for (;;) {
    const outcome = yield* paginate(query, {
      ...(bound ? { filter: editFilter(bound) } : {}),
      sorts: [{ timestamp: 'last_edited_time', direction: 'ascending' }],
    });
    if (!outcome.incomplete) return;
    const last = outcome.last!.last_edited_time;
    if (bound === null || last !== bound.at) {
      bound = { op: 'on_or_after', at: last };
      continue;
    }
    yield* readMinute(query, last);
    bound = { op: 'after', at: last };
  }
}

/** All pages last edited in one minute, by creation time, one fresh query per cap. */
async function* readMinute(
  query: WindowedQuery,
  minute: string,
): AsyncGenerator<readonly NotionPage[]> {
  let createdFrom: string | null = null;
  for (;;) {
    const conditions: unknown[] = [
      { timestamp: 'last_edited_time', last_edited_time: { equals: minute } },
    ];
    if (createdFrom) {
      conditions.push({ timestamp: 'created_time', created_time: { on_or_after: createdFrom } });
    }
    const outcome = yield* paginate(query, {
      filter: { and: conditions },
      sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
    });
    if (!outcome.incomplete) return;
    const last = outcome.last!.created_time;
    if (!last || last === createdFrom) {
      throw new KeepsyncError(
        'SYNC_FAILED',
        `Notion data source ${query.dataSourceId}: more pages than one query can return were ` +
          `created in the same minute and last edited in the same minute (${minute}); Notion ` +
          'cannot page past them. Edit some of them, or split the data source.',
      );
    }
    createdFrom = last;
  }
}

interface Outcome {
  readonly incomplete: boolean;
  readonly last: NotionPage | undefined;
}

async function* paginate(
  query: WindowedQuery,
  body: { filter?: unknown; sorts: unknown[] },
): AsyncGenerator<readonly NotionPage[], Outcome> {
  let startCursor: string | undefined;
  let last: NotionPage | undefined;
  for (;;) {
    const result: NotionQueryResult = await query.request(
      `POST /v1/data_sources/${query.dataSourceId}/query`,
      (token) =>
        query.client.query(token, query.dataSourceId, {
          ...body,
          ...(query.inTrash ? { in_trash: true } : {}),
          start_cursor: startCursor,
          page_size: query.pageSize,
        }),
    );
    last = result.results.at(-1) ?? last;
    yield result.results;
    if (result.has_more && result.next_cursor) {
      startCursor = result.next_cursor;
      continue;
    }
    return { incomplete: result.request_status?.type === 'incomplete', last };
  }
}

function editFilter(bound: NonNullable<EditBound>): unknown {
  return { timestamp: 'last_edited_time', last_edited_time: { [bound.op]: bound.at } };
}
