import { KeepsyncError, RecordError, type SyncRecord } from '../../model/index.js';

/** The property kinds Notion's MCP tools take as plain values. */
export type NotionMcpPropertyType =
  | 'title'
  | 'text'
  | 'number'
  | 'select'
  | 'checkbox'
  | 'url'
  | 'date';

export interface NotionMcpProperty {
  readonly name: string;
  readonly type: NotionMcpPropertyType;
}

/** Record field -> property: a bare name is a text property. */
export type NotionMcpPropertyMap = Readonly<Record<string, string | NotionMcpProperty>>;

/** Page properties as Notion's MCP tools write and `notion-fetch` reads them. */
export type McpPageProperties = Record<string, string | number | null>;

const TYPES: readonly NotionMcpPropertyType[] = [
  'title',
  'text',
  'number',
  'select',
  'checkbox',
  'url',
  'date',
];

export function resolveMcpProperties(
  map: NotionMcpPropertyMap,
  keyProperty: string,
): ReadonlyMap<string, NotionMcpProperty> {
  const resolved = new Map<string, NotionMcpProperty>();
  for (const [field, spec] of Object.entries(map)) {
    const property = typeof spec === 'string' ? { name: spec, type: 'text' as const } : spec;
    if (!TYPES.includes(property.type)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `notion.mcpDestination: property for field \`${field}\` has type ${JSON.stringify(property.type)}; expected one of ${TYPES.join(', ')}`,
      );
    }
    if (property.name === keyProperty) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `notion.mcpDestination: \`${keyProperty}\` is the key property; keepsync writes it, so leave it out of \`properties\``,
      );
    }
    resolved.set(field, property);
  }
  return resolved;
}

/**
 * A record's fields as MCP property values: checkboxes are `__YES__` / `__NO__`, a date is
 * split into `date:<name>:start` and `date:<name>:is_datetime`, as the tools expect.
 */
export function encodeMcpProperties(
  record: SyncRecord,
  properties: ReadonlyMap<string, NotionMcpProperty>,
): McpPageProperties {
  const out: McpPageProperties = {};
  for (const [field, property] of properties) {
    if (!(field in record.fields)) continue;
    const value = record.fields[field];
    const fail = (expected: string) =>
      new RecordError(
        `record ${record.key}: field \`${field}\` (Notion property \`${property.name}\`) must be ${expected}, got ${JSON.stringify(value)}`,
        { key: record.key, field },
      );
    if (value === null || value === undefined) {
      if (property.type === 'date') out[`date:${property.name}:start`] = null;
      else if (property.type === 'checkbox') out[property.name] = '__NO__';
      else out[property.name] = null;
      continue;
    }
    switch (property.type) {
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) throw fail('a number');
        out[property.name] = value;
        break;
      case 'checkbox':
        if (typeof value !== 'boolean') throw fail('a boolean');
        out[property.name] = value ? '__YES__' : '__NO__';
        break;
      case 'date': {
        const text = value instanceof Date ? value.toISOString() : value;
        if (typeof text !== 'string' || Number.isNaN(Date.parse(text))) throw fail('a date');
        const withTime = text.length > 10;
        out[`date:${property.name}:start`] = withTime ? new Date(text).toISOString() : text;
        out[`date:${property.name}:is_datetime`] = withTime ? 1 : 0;
        break;
      }
      default:
        if (typeof value === 'object') throw fail('text');
        out[property.name] = String(value);
    }
  }
  return out;
}

/** The values in `changes` that differ from what the page holds. */
export function changedProperties(
  changes: McpPageProperties,
  held: Readonly<Record<string, unknown>>,
): McpPageProperties {
  const out: McpPageProperties = {};
  for (const [name, value] of Object.entries(changes)) {
    if (!sameValue(value, held[name])) out[name] = value;
  }
  return out;
}

function sameValue(wanted: string | number | null, held: unknown): boolean {
  const empty = (value: unknown) => value === null || value === undefined || value === '';
  if (empty(wanted) || empty(held)) return empty(wanted) && empty(held);
  if (typeof wanted === 'number') return Number(held) === wanted;
  return String(held) === wanted;
}

/**
 * The properties in a `notion-fetch` answer: the JSON object inside its `<properties>` tag
 * (the rest of the answer is the page's markup, not JSON).
 */
export function fetchedProperties(text: string): Record<string, unknown> | undefined {
  const match = /<properties>\s*([\s\S]*?)\s*<\/properties>/.exec(text);
  if (!match) return undefined;
  try {
    const parsed = JSON.parse(match[1]!) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
