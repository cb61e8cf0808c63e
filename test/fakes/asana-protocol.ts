import type { FakeCustomField } from './asana.js';
import type { FakeResponse } from './fake-server.js';

/** Asana's error body: `{ errors: [{ message, help }] }`. */
export function asanaError(status: number, _code: string, message: string): unknown {
  const text =
    status === 401
      ? 'Not Authorized'
      : status === 429
        ? 'You have made too many requests recently. Please, be chill.'
        : message;
  return {
    errors: [
      {
        message: text,
        help: 'For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors',
      },
    ],
  };
}

export function forbidden(): FakeResponse {
  return fail(403, 'Forbidden');
}

export function fail(status: number, message: string): FakeResponse {
  return { status, body: asanaError(status, '', message) };
}

const MAX_TEXT_VALUE = 1024;

/** Why Asana refuses this custom field value, or null when it takes it. */
export function checkFieldValue(field: FakeCustomField, value: unknown): string | null {
  if (value === null) return null;
  const bad = `custom_fields: Invalid value for ${field.resource_subtype} custom field ${field.gid}`;
  switch (field.resource_subtype) {
    case 'text':
      if (typeof value !== 'string') return bad;
      // Asana limits text custom field values to 1,024 characters.
      return value.length > MAX_TEXT_VALUE
        ? `custom_fields: Text value for custom field ${field.gid} must be at most ${MAX_TEXT_VALUE} characters`
        : null;
    case 'number':
      return typeof value === 'number' ? null : bad;
    case 'date':
      return typeof value === 'object' &&
        typeof (value as { date?: unknown }).date === 'string' &&
        /^\d{4}-\d{2}-\d{2}$/.test((value as { date: string }).date)
        ? null
        : bad;
    case 'enum':
      return field.enum_options?.some((option) => option.gid === value)
        ? null
        : `custom_fields: Enum option ${String(value)} is not valid for custom field ${field.gid}`;
    case 'multi_enum':
      return Array.isArray(value) &&
        value.every((gid) => field.enum_options?.some((option) => option.gid === gid))
        ? null
        : bad;
  }
}

/** Asana's opt_fields: the gid, plus each dotted path asked for (through arrays). */
export function pick(value: unknown, paths: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => pick(item, paths));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const picked: Record<string, unknown> = 'gid' in source ? { gid: source.gid } : {};
  const nested = new Map<string, string[]>();
  for (const path of paths) {
    const [head, ...rest] = path.split('.') as [string, ...string[]];
    if (!(head in source)) continue;
    if (rest.length === 0) picked[head] = source[head];
    else nested.set(head, [...(nested.get(head) ?? []), rest.join('.')]);
  }
  for (const [head, inner] of nested)
    if (!(head in picked)) picked[head] = pick(source[head], inner);
  return picked;
}

export function optFieldsOf(query: URLSearchParams): string[] {
  return (query.get('opt_fields') ?? '').split(',').filter(Boolean);
}
