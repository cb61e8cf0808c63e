import { type FileFormat, serializeSortedValue } from '../connectors/files/index.js';
import type { JsonValue } from '../model/index.js';

/** The text of a resource in a file of its own: every mapping sorted, so diffs stay small. */
export function resourceFileText(canonical: string, format: FileFormat): string {
  return serializeSortedValue(JSON.parse(canonical) as JsonValue, format);
}

/** One resource in a stream: a `---` YAML document, or one line of newline-delimited JSON. */
export function streamDocumentText(canonical: string, format: FileFormat): string {
  if (format === 'json') return `${canonical}\n`;
  return `---\n${resourceFileText(canonical, 'yaml')}`;
}

/** A file of many resources: a YAML stream, or a JSON array with one resource per item. */
export function manyResourcesText(canonicals: readonly string[], format: FileFormat): string {
  if (format === 'yaml') return canonicals.map((text) => streamDocumentText(text, 'yaml')).join('');
  if (canonicals.length === 0) return '[]\n';
  const items = canonicals.map(
    (text) => `  ${resourceFileText(text, 'json').trimEnd().replaceAll('\n', '\n  ')}`,
  );
  return `[\n${items.join(',\n')}\n]\n`;
}
