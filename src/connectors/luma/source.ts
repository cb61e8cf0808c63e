import { KeepsyncError, type SyncRecord } from '../../model/index.js';
import { checkOptions, type ReadOptions, type Source, type SourcePage } from '../../sync/index.js';
import { createLumaClient, type LumaClient, LumaRequestError } from './client.js';
import { sourceSchema } from './options-schema.js';
import { eventOf, eventRecord, type LumaEntry, type LumaHost } from './records.js';
import { type LumaConnection, resolveConnection } from './settings.js';

export interface LumaSourceOptions extends LumaConnection {
  /** Events starting this many days ago or later are read. @default 21 */
  lookbackDays?: number;
  /**
   * Reads each event's hosts with event/get: one more request per event (Luma lists no
   * hosts). @default true
   */
  hosts?: boolean;
  /** Events per list-events page (Luma caps it at 50). @default 50 */
  pageSize?: number;
  /** The clock for the window and Scheduled/Published (tests). @default () => new Date() */
  now?: () => Date;
  /** @default 'luma' */
  name?: string;
}

/** Mid-pass: the frozen window start and Luma's cursor for the next page. */
type ListCursor = { readonly after: string; readonly cursor: string };

const UNIT = 'events';
const DAY_MS = 86_400_000;

/**
 * Reads the events of the key's calendar that start inside the window, page by page with
 * Luma's cursor; the window is frozen when a pass starts, so a resumed pass asks for the
 * same `after`. A targeted read (keys) fetches the named events with event/get.
 */
export function source(options: LumaSourceOptions): Source {
  checkOptions(sourceSchema, options ?? {}, 'luma.source');
  const connection = resolveConnection(options, 'luma.source');
  const lookbackDays = options.lookbackDays ?? 21;
  const pageSize = options.pageSize ?? 50;
  if (!(pageSize >= 1 && pageSize <= 50)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected luma.source \`pageSize\` to be between 1 and 50, got ${pageSize}`,
    );
  }
  return {
    name: options.name ?? 'luma',
    mode: 'incremental',
    units: () => [{ id: UNIT }],
    read(unit, readOptions) {
      if (unit !== UNIT)
        throw new KeepsyncError('CONFIG_INVALID', `luma source has no unit ${unit}`);
      const client = createLumaClient({
        ...connection,
        telemetry: readOptions.telemetry,
        signal: readOptions.signal,
      });
      const now = options.now?.() ?? new Date();
      return readOptions.keys
        ? readEvents(client, readOptions.keys, options.hosts ?? true, now, readOptions)
        : listEvents(
            client,
            { lookbackDays, pageSize, hosts: options.hosts ?? true, now },
            readOptions,
          );
    },
  };
}

async function* listEvents(
  client: LumaClient,
  plan: { lookbackDays: number; pageSize: number; hosts: boolean; now: Date },
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const saved = readOptions.cursor as ListCursor | null;
  const after =
    saved?.after ?? new Date(plan.now.getTime() - plan.lookbackDays * DAY_MS).toISOString();
  let cursor = saved?.cursor;
  for (;;) {
    const page = await client.get<{
      entries?: LumaEntry[];
      events?: LumaEntry[];
      has_more?: boolean;
      next_cursor?: string;
    }>('/v1/calendar/list-events', {
      after,
      pagination_limit: String(plan.pageSize),
      pagination_cursor: cursor,
    });
    const records: SyncRecord[] = [];
    for (const entry of page.entries ?? page.events ?? []) {
      const event = eventOf(entry);
      if (!event) continue;
      const hosts = plan.hosts ? ((await eventDetail(client, event.api_id))?.hosts ?? []) : null;
      records.push(eventRecord(event, hosts, plan.now));
    }
    const next = page.has_more && page.next_cursor ? page.next_cursor : undefined;
    yield { records, cursor: next ? ({ after, cursor: next } as ListCursor) : null };
    if (!next) return;
    cursor = next;
  }
}

async function* readEvents(
  client: LumaClient,
  keys: readonly string[],
  hosts: boolean,
  now: Date,
  readOptions: ReadOptions,
): AsyncGenerator<SourcePage> {
  const records: SyncRecord[] = [];
  for (const key of new Set(keys)) {
    const detail = await eventDetail(client, key);
    // Luma has no delete API and keeps no tombstones: an event it no longer has is gone.
    if (!detail) records.push({ key, fields: {}, deleted: true });
    else
      records.push(eventRecord({ ...detail.event, api_id: key }, hosts ? detail.hosts : null, now));
  }
  yield { records, cursor: readOptions.cursor };
}

/** event/get: the event and its hosts; null when Luma has no such event. */
async function eventDetail(
  client: LumaClient,
  id: string,
): Promise<{ event: LumaEntry & { api_id: string }; hosts: LumaHost[] } | null> {
  try {
    const answer = await client.get<{ event?: LumaEntry; hosts?: LumaHost[] } & LumaEntry>(
      '/v1/event/get',
      { api_id: id },
    );
    const event = { ...(answer.event ?? answer), api_id: id };
    return { event, hosts: answer.hosts ?? [] };
  } catch (error) {
    if (error instanceof LumaRequestError && error.status === 404) return null;
    throw error;
  }
}
