import { KeepsyncError } from '../../model/index.js';
import type { NotionPage } from './client.js';

export type KeyPropertyType = 'rich_text' | 'number' | 'title';

/** The property a page keeps its record key in. */
export interface KeyProperty {
  readonly name: string;
  readonly type: KeyPropertyType;
}

export function keyPropertyOf(
  keyProperty: string | KeyProperty | undefined,
  properties: Readonly<Record<string, unknown>> | undefined,
): KeyProperty {
  const key = keyProperty ?? 'keepsync key';
  const resolved = typeof key === 'string' ? { name: key, type: 'rich_text' as const } : key;
  if (!['rich_text', 'number', 'title'].includes(resolved.type)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Notion \`keyProperty.type\` must be rich_text, number or title, got ${JSON.stringify(resolved.type)}`,
    );
  }
  if (properties?.[resolved.name] !== undefined) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Notion property \`${resolved.name}\` is the key property; keepsync writes it, so leave it out of \`properties\``,
    );
  }
  return resolved;
}

export function keyFilter(key: KeyProperty, value: string): Record<string, unknown> {
  if (key.type === 'number') return { property: key.name, number: { equals: Number(value) } };
  return { property: key.name, [key.type]: { equals: value } };
}

export function readKey(page: NotionPage, key: KeyProperty): string | undefined {
  const property = page.properties[key.name];
  if (!property) return undefined;
  if (key.type === 'number') {
    const value = property.number;
    return typeof value === 'number' ? String(value) : undefined;
  }
  const parts = property[key.type] as Array<{ plain_text?: string; text?: { content?: string } }>;
  const text = parts?.map((part) => part.plain_text ?? part.text?.content ?? '').join('');
  return text ? text : undefined;
}
