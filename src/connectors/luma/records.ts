import type { SyncRecord } from '../../model/index.js';

/** An event as list-events and event/get return it (the fields keepsync reads). */
export interface LumaEvent {
  readonly api_id: string;
  readonly name?: string | null;
  readonly start_at?: string | null;
  readonly end_at?: string | null;
  readonly timezone?: string | null;
  readonly url?: string | null;
  readonly slug?: string | null;
}

export interface LumaHost {
  readonly api_id?: string;
  readonly name?: string | null;
  readonly email?: string | null;
}

/** A list entry: `{ api_id, event }`, or (newer answers) the event itself. */
export type LumaEntry = {
  readonly api_id?: string;
  readonly event?: LumaEvent;
} & Partial<LumaEvent>;

export function eventOf(entry: LumaEntry): LumaEvent | null {
  const event = entry.event ?? (entry.api_id ? (entry as LumaEvent) : null);
  const id = entry.api_id ?? event?.api_id;
  return event && id ? { ...event, api_id: id } : null;
}

/**
 * An event as a record. `status` is Scheduled while the start is ahead of `now`, Published
 * once it has passed; hosts are names (emails stay out of records).
 */
export function eventRecord(
  event: LumaEvent,
  hosts: readonly LumaHost[] | null,
  now: Date,
): SyncRecord {
  const start = event.start_at ? new Date(event.start_at) : null;
  const valid = start && !Number.isNaN(start.getTime()) ? start : null;
  const url = event.url?.startsWith('http')
    ? event.url
    : event.slug
      ? `https://lu.ma/${event.slug}`
      : null;
  const names = (hosts ?? []).map((host) => host.name ?? '').filter(Boolean);
  return {
    key: event.api_id,
    fields: {
      title: event.name || '(untitled event)',
      startAt: valid,
      endAt: event.end_at ? new Date(event.end_at) : null,
      timezone: event.timezone ?? null,
      url,
      status: valid && valid.getTime() > now.getTime() ? 'Scheduled' : 'Published',
      ...(hosts ? { hosts: names } : {}),
    },
  };
}
