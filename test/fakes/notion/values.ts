import { randomUUID } from 'node:crypto';
import { truncatedValue } from './property-items.js';
import type { FakePage, FakeProperty } from './state.js';

const MAX_TEXT = 2000;
/** Documented limits on one property value in a request. */
const MAX_ITEMS = 100;
const MAX_LENGTH: Record<string, number> = { url: 2000, email: 200, phone_number: 200 };

function tooMany(name: string, type: string, count: number): string {
  return `body.properties.${name}.${type}.length should be ≤ \`${MAX_ITEMS}\`, instead was \`${count}\`.`;
}

/**
 * Checks property values against a data source schema and Notion's documented size limits;
 * returns the values as stored, or the text of Notion's validation error.
 */
export function validateValues(
  schemaProperties: Record<string, FakeProperty>,
  values: Record<string, Record<string, unknown>>,
  pageExists: (id: string) => boolean,
): Record<string, Record<string, unknown>> | string {
  const stored: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(values)) {
    const schema = schemaProperties[name];
    if (!schema) return `${name} is not a property that exists.`;
    const type = schema.type;
    if (!(type in value)) return `${name} is expected to be ${type}.`;
    const inner = value[type];
    switch (type) {
      case 'title':
      case 'rich_text': {
        if (!Array.isArray(inner)) return `${name} is expected to be ${type}.`;
        const parts = inner as Array<{ text?: { content?: string; link?: unknown } }>;
        if (parts.length > MAX_ITEMS) return tooMany(name, type, parts.length);
        for (const [index, part] of parts.entries()) {
          const length = part.text?.content?.length ?? 0;
          if (length > MAX_TEXT) {
            return `body.properties.${name}.${type}[${index}].text.content.length should be ≤ \`${MAX_TEXT}\`, instead was \`${length}\`.`;
          }
        }
        stored[name] = {
          id: schema.id,
          type,
          [type]: parts.map((part) => ({
            type: 'text',
            text: { content: part.text?.content ?? '', link: part.text?.link ?? null },
            annotations: PLAIN,
            plain_text: part.text?.content ?? '',
            href: null,
          })),
        };
        break;
      }
      case 'number':
        if (inner !== null && typeof inner !== 'number') {
          return `${name} is expected to be number.`;
        }
        stored[name] = { id: schema.id, type, number: inner };
        break;
      case 'checkbox':
        if (typeof inner !== 'boolean') return `${name} is expected to be checkbox.`;
        stored[name] = { id: schema.id, type, checkbox: inner };
        break;
      case 'url':
      case 'email':
        if (inner !== null && typeof inner !== 'string') {
          return `${name} is expected to be ${type}.`;
        }
        if (typeof inner === 'string' && inner.length > MAX_LENGTH[type]!) {
          return `body.properties.${name}.${type}.length should be ≤ \`${MAX_LENGTH[type]}\`, instead was \`${inner.length}\`.`;
        }
        stored[name] = { id: schema.id, type, [type]: inner };
        break;
      case 'date': {
        const date = inner as { start?: string } | null;
        if (
          date !== null &&
          (typeof date?.start !== 'string' || Number.isNaN(Date.parse(date.start)))
        ) {
          return `${name} is expected to be date.`;
        }
        stored[name] = { id: schema.id, type, date };
        break;
      }
      case 'select': {
        const option = inner as { name?: string } | null;
        if (option !== null && typeof option?.name !== 'string') {
          return `${name} is expected to be select.`;
        }
        if (option?.name?.includes(',')) return `Select option names cannot contain commas.`;
        stored[name] = {
          id: schema.id,
          type,
          select: option === null ? null : optionOf(schema, option.name!),
        };
        break;
      }
      case 'multi_select': {
        if (!Array.isArray(inner)) return `${name} is expected to be multi_select.`;
        const options = inner as Array<{ name: string }>;
        if (options.length > MAX_ITEMS) return tooMany(name, type, options.length);
        if (options.some((option) => option.name.includes(','))) {
          return `Select option names cannot contain commas.`;
        }
        stored[name] = {
          id: schema.id,
          type,
          multi_select: options.map((option) => optionOf(schema, option.name)),
        };
        break;
      }
      case 'relation': {
        if (!Array.isArray(inner)) return `${name} is expected to be relation.`;
        if (inner.length > MAX_ITEMS) return tooMany(name, type, inner.length);
        for (const ref of inner as Array<{ id: string }>) {
          if (!pageExists(ref.id)) return `${name}: relation target ${ref.id} was not found.`;
        }
        stored[name] = { id: schema.id, type, relation: inner, has_more: false };
        break;
      }
      default:
        return `${name}: property type ${type} cannot be written through the API.`;
    }
  }
  return stored;
}

/** A select option by name; Notion adds a missing option to the schema when it is written. */
function optionOf(schema: FakeProperty, name: string): { id: string; name: string; color: string } {
  const config = schema[schema.type] as {
    options: Array<{ id: string; name: string; color: string; description?: string | null }>;
  };
  let option = config.options.find((candidate) => candidate.name === name);
  if (!option) {
    option = { id: randomUUID().slice(0, 4), name, color: 'default', description: null };
    config.options.push(option);
  }
  // A page's value names the option without the schema's description.
  return { id: option.id, name: option.name, color: option.color };
}

export interface Filter {
  readonly or?: Filter[];
  readonly and?: Filter[];
  readonly timestamp?: 'last_edited_time' | 'created_time';
  readonly property?: string;
  readonly [condition: string]: unknown;
}

export function matches(page: FakePage, filter: Filter): boolean {
  if (filter.or) return filter.or.some((inner) => matches(page, inner));
  if (filter.and) return filter.and.every((inner) => matches(page, inner));
  if (filter.timestamp) {
    const value = page[filter.timestamp];
    const condition = filter[filter.timestamp] as Record<string, string>;
    const [operator, operand] = Object.entries(condition)[0]!;
    const left = Date.parse(value);
    const right = Date.parse(operand);
    if (operator === 'after') return left > right;
    if (operator === 'on_or_after') return left >= right;
    if (operator === 'before') return left < right;
    if (operator === 'on_or_before') return left <= right;
    return left === right;
  }
  const property = page.properties[filter.property ?? ''];
  const [, conditions] = Object.entries(filter).find(([key]) => key !== 'property')!;
  const [operator, operand] = Object.entries(conditions as Record<string, unknown>)[0]!;
  const value = plainValue(property);
  if (operator === 'equals') return value === operand;
  if (operator === 'is_empty') return value === '' || value === null;
  if (operator === 'is_not_empty') return value !== '' && value !== null;
  throw new Error(`filter operator ${operator} is not supported by the fake`);
}

export function withConfig(definition: { type: string; [config: string]: unknown }): {
  type: string;
  [config: string]: unknown;
} {
  const { type, ...rest } = definition;
  const config =
    type === 'select' || type === 'multi_select'
      ? { options: (rest.options as unknown[] | undefined) ?? [] }
      : type === 'number'
        ? { format: (rest.format as string | undefined) ?? 'number' }
        : type === 'relation'
          ? { data_source_id: rest.data_source_id, type: 'single_property', single_property: {} }
          : {};
  return { type, [type]: config };
}

export function emptyValue(schema: FakeProperty): Record<string, unknown> {
  const empty: Record<string, unknown> = {
    title: [],
    rich_text: [],
    number: null,
    checkbox: false,
    select: null,
    multi_select: [],
    date: null,
    url: null,
    email: null,
    relation: [],
    people: [],
  };
  return { id: schema.id, type: schema.type, [schema.type]: empty[schema.type] ?? null };
}

/** Rich text annotations of unformatted text. */
const PLAIN = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};

/** The integration's bot user, as Notion names the author of what it writes. */
export const BOT_USER = { object: 'user', id: '5b6e1a7c-0000-4000-8000-000000000b07' };

/** A block as Notion stores and returns it: ids, parent, authors, and full rich text objects. */
export function storedBlock(
  block: Record<string, unknown>,
  pageId: string,
  at: string,
): Record<string, unknown> {
  const type = block.type as string;
  const content = (block[type] ?? {}) as { rich_text?: Array<{ text?: { content?: string } }> };
  return {
    object: 'block',
    id: randomUUID(),
    parent: { type: 'page_id', page_id: pageId },
    created_time: at,
    created_by: BOT_USER,
    last_edited_time: at,
    last_edited_by: BOT_USER,
    has_children: false,
    in_trash: false,
    archived: false,
    type,
    [type]: {
      ...blockDefaults(type),
      ...content,
      ...(content.rich_text
        ? { rich_text: content.rich_text.map((part) => textPart(part.text?.content ?? '')) }
        : {}),
    },
  };
}

/** The fields Notion fills in a block's content when a request leaves them out. */
function blockDefaults(type: string): Record<string, unknown> {
  if (type === 'code') return { caption: [] };
  if (type === 'divider') return {};
  if (type.startsWith('heading_')) return { color: 'default', is_toggleable: false };
  if (type === 'paragraph') return { color: 'default', icon: null };
  return { color: 'default' };
}

export function textPart(content: string): unknown {
  return {
    type: 'text',
    text: { content, link: null },
    annotations: PLAIN,
    plain_text: content,
    href: null,
  };
}

export function pageJson(page: FakePage): unknown {
  const { children: _children, ...rest } = page;
  return {
    ...rest,
    properties: Object.fromEntries(
      Object.entries(page.properties).map(([name, value]) => [name, truncatedValue(value)]),
    ),
    is_archived: page.in_trash,
    is_locked: false,
    public_url: null,
    icon: null,
    cover: null,
    created_by: BOT_USER,
    last_edited_by: BOT_USER,
  };
}

/** A property value as plain text/number/boolean. */
export function plainValue(value: Record<string, unknown> | undefined): unknown {
  if (!value) return undefined;
  const type = value.type as string;
  const inner = value[type];
  if (type === 'title' || type === 'rich_text') {
    return (inner as Array<{ plain_text: string }>).map((part) => part.plain_text).join('');
  }
  if (type === 'select') return (inner as { name: string } | null)?.name ?? null;
  if (type === 'multi_select') return (inner as Array<{ name: string }>).map((o) => o.name);
  if (type === 'date') return (inner as { start: string } | null)?.start ?? null;
  if (type === 'relation') return (inner as Array<{ id: string }>).map((r) => r.id);
  return inner;
}
