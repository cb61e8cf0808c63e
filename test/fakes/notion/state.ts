/** A property of a data source's schema, as `GET /v1/data_sources/{id}` returns it. */
export interface FakeProperty {
  id: string;
  name: string;
  type: string;
  [config: string]: unknown;
}

export interface FakePage {
  object: 'page';
  id: string;
  created_time: string;
  last_edited_time: string;
  in_trash: boolean;
  archived: boolean;
  parent: { type: 'data_source_id'; data_source_id: string; database_id: string };
  properties: Record<string, Record<string, unknown>>;
  url: string;
  /** The page body, as stored blocks. */
  children: Array<Record<string, unknown>>;
}

export interface DataSource {
  id: string;
  databaseId: string;
  title: string;
  properties: Record<string, FakeProperty>;
}

/** Most results one list request returns (`page_size` upper bound). */
export const MAX_PAGE_SIZE = 100;

/** What the fake workspace holds, shared by the route handlers. */
export class NotionState {
  readonly pages = new Map<string, FakePage>();
  readonly dataSources = new Map<string, DataSource>();
  /** Pages not shared with the integration: Notion answers 403 restricted_resource. */
  readonly restricted = new Set<string>();
  /** Real time each page was created, for the query visibility lag. */
  readonly madeAt = new Map<string, number>();
  clock: () => number = Date.now;
  queryLagMs = 0;

  constructor(readonly queryResultLimit: number) {}

  /** What Notion returns as `last_edited_time`: an ISO time truncated to the minute. */
  minute(): string {
    return new Date(Math.floor(this.clock() / 60_000) * 60_000).toISOString();
  }
}
