import type { Cursor } from '../../model/index.js';

/**
 * The cursor of an incremental JQL read. `mark`: the newest `updated` time read so far (ISO,
 * millisecond precision). `seen`: issue id -> `updated` of the issues read within the
 * overlap before the mark, so a re-read of the mark's minute skips what did not change.
 */
export interface UpdatedCursor {
  readonly mark: string | null;
  readonly seen: Readonly<Record<string, string>>;
}

export function parseUpdatedCursor(cursor: Cursor): UpdatedCursor {
  if (cursor && typeof cursor === 'object' && !Array.isArray(cursor) && 'seen' in cursor) {
    return cursor as unknown as UpdatedCursor;
  }
  return { mark: null, seen: {} };
}

/** Jira's `2026-01-01T10:05:00.000+0000` as epoch ms (the offset gets its colon for Date.parse). */
export function parseJiraTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A JQL date literal, `"yyyy-MM-dd HH:mm"`, for the minute containing `ms` in the user's time
 * zone: JQL reads dates in the zone of the user running the query, at minute precision.
 */
export function jqlMinute(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** Folds a page into the cursor: the mark moves to the newest time, `seen` keeps the overlap. */
export function advanceCursor(
  cursor: UpdatedCursor,
  page: ReadonlyArray<{ id: string; updated: number }>,
  overlapMs: number,
): UpdatedCursor {
  let mark = cursor.mark === null ? null : Date.parse(cursor.mark);
  for (const issue of page) if (mark === null || issue.updated > mark) mark = issue.updated;
  if (mark === null) return cursor;
  const seen: Record<string, string> = {};
  const keep = (id: string, updated: number) => {
    if (updated >= mark! - overlapMs) seen[id] = new Date(updated).toISOString();
  };
  for (const [id, at] of Object.entries(cursor.seen)) keep(id, Date.parse(at));
  for (const issue of page) keep(issue.id, issue.updated);
  return { mark: new Date(mark).toISOString(), seen };
}
