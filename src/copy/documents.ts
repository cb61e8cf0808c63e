import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type * as Yaml from 'yaml';
import { type FileFormat, parseText } from '../connectors/files/index.js';
import { describeError, type JsonValue, RecordError } from '../model/index.js';
import { type CopyResource, isJsonObject, type ResourceDocument } from './resource.js';
import { type ResourceSchema, toResource } from './schema.js';

/** A parsed document and where it came from (a file and line, a URL), for error messages. */
// yaml loads on the first YAML document, not with every import of keepsync.
const require = createRequire(import.meta.url);
const loadYaml = (): typeof Yaml => require('yaml');

export interface Located {
  readonly value: JsonValue;
  readonly where: string;
}

export interface ExpandOptions {
  /**
   * A document that is neither a resource nor a page of resources is an error (files, stdin);
   * over HTTP it is an index or an empty page, and only its links count.
   */
  readonly strict: boolean;
  /** Applied to each resource document before it is identified (e.g. to relativise hrefs). */
  readonly prepare?: ((doc: ResourceDocument) => ResourceDocument) | undefined;
}

/**
 * The resources in one document: the document itself when it has an id, with any embedded
 * resources that have ids; otherwise every item of the page, each of which must be a resource.
 */
export function expandDocument(
  located: Located,
  schema: ResourceSchema,
  options: ExpandOptions,
): CopyResource[] {
  const { value, where } = located;
  if (Array.isArray(value)) {
    return value.flatMap((item, index) =>
      expandDocument({ value: item, where: `${where} item ${index + 1}` }, schema, options),
    );
  }
  if (!isJsonObject(value)) {
    throw new RecordError(`${where}: expected a resource mapping, got ${kindOf(value)}`, {});
  }
  const found: CopyResource[] = [];
  if (schema.isResource(value)) {
    collectResource(value, where, schema, options, found);
    return found;
  }
  const items = schema.embedded(value);
  if (items.length === 0 && options.strict) {
    // Says what is missing, naming the document.
    schema.identify(value, where);
  }
  items.forEach((item, index) => {
    const itemWhere = `${where} item ${index + 1}`;
    if (!isJsonObject(item)) {
      throw new RecordError(`${itemWhere}: expected a resource mapping, got ${kindOf(item)}`, {});
    }
    if (!schema.isResource(item)) schema.identify(item, itemWhere);
    collectResource(item, itemWhere, schema, options, found);
  });
  return found;
}

function collectResource(
  doc: ResourceDocument,
  where: string,
  schema: ResourceSchema,
  options: ExpandOptions,
  found: CopyResource[],
): void {
  const prepared = options.prepare ? options.prepare(doc) : doc;
  found.push(toResource(prepared, schema, where));
  // Embedded documents with their own id are resources too; the others belong to this one.
  schema.embedded(doc).forEach((item, index) => {
    if (isJsonObject(item) && schema.isResource(item)) {
      collectResource(item, `${where} embedded ${index + 1}`, schema, options, found);
    }
  });
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

const DOCUMENT_START = /^---(?:\s|$)/;
const DOCUMENT_END = /^\.\.\.\s*$/;

/**
 * Reads a stream of documents: JSON (one document, an array, or one document per line) when
 * it starts with `[` or `{`, otherwise a YAML stream of `---`-separated documents, parsed one
 * document at a time so a large file is never held as one syntax tree.
 */
export async function* readDocuments(
  input: Readable,
  label: string,
  format?: FileFormat,
): AsyncGenerator<Located> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // A file's extension decides; stdin is recognised by its first character.
  let mode: 'unknown' | FileFormat = format ?? 'unknown';
  const json: string[] = [];
  let chunk: string[] = [];
  let chunkStart = 1;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (mode === 'unknown') {
      const trimmed = line.trimStart();
      if (trimmed === '') {
        chunk.push(line);
        continue;
      }
      mode = trimmed.startsWith('[') || trimmed.startsWith('{') ? 'json' : 'yaml';
    }
    if (mode === 'json') {
      json.push(line);
      continue;
    }
    const ends = DOCUMENT_END.test(line);
    if (ends || DOCUMENT_START.test(line)) {
      const parsed = parseYamlChunk(chunk, chunkStart, label);
      if (parsed) yield parsed;
      // A `---` line belongs to the document it opens; a `...` line to none.
      chunk = ends ? [] : [line];
      chunkStart = ends ? lineNumber + 1 : lineNumber;
      continue;
    }
    chunk.push(line);
  }
  if (mode === 'yaml') {
    const parsed = parseYamlChunk(chunk, chunkStart, label);
    if (parsed) yield parsed;
  } else if (mode === 'json') {
    yield* parseJsonLines(chunk.length, json, label);
  }
}

function parseYamlChunk(chunk: string[], startLine: number, label: string): Located | null {
  const text = chunk.join('\n');
  if (text.trim() === '' || text.trim() === '---') return null;
  const document = loadYaml().parseDocument(text, { prettyErrors: false });
  const first = document.errors[0];
  if (first) {
    const line = startLine + linesBefore(text, first.pos[0]);
    throw new RecordError(`${label} line ${line}: ${first.message}`, {});
  }
  let value: JsonValue;
  try {
    value = document.toJS() as JsonValue;
  } catch (error) {
    throw new RecordError(
      `${label} line ${startLine}: ${describeError(error)}`,
      {},
      { cause: error },
    );
  }
  if (value === null || value === undefined) return null;
  return { value, where: `${label} line ${firstContentLine(chunk, startLine)}` };
}

/** Newlines before `offset`; an error at the very end belongs to the last line with text. */
function linesBefore(text: string, offset: number): number {
  const end = Math.min(offset, text.trimEnd().length);
  let count = 0;
  for (let index = 0; index < end; index++) {
    if (text.charCodeAt(index) === 10) count++;
  }
  return count;
}

function firstContentLine(chunk: string[], startLine: number): number {
  const index = chunk.findIndex((line) => {
    const trimmed = line.trim();
    return trimmed !== '' && trimmed !== '---' && !trimmed.startsWith('#');
  });
  return startLine + Math.max(0, index);
}

/** One JSON document, or newline-delimited JSON when the first line is a document on its own. */
function* parseJsonLines(leading: number, lines: string[], label: string): Generator<Located> {
  const firstLine = lines[0]!;
  let ndjson = lines.length > 1;
  if (ndjson) {
    try {
      JSON.parse(firstLine);
    } catch {
      ndjson = false;
    }
  }
  if (!ndjson) {
    const text = '\n'.repeat(leading) + lines.join('\n');
    yield { value: parseText(text, 'json', label) as JsonValue, where: label };
    return;
  }
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const lineNumber = leading + index + 1;
    let value: JsonValue;
    try {
      value = JSON.parse(line) as JsonValue;
    } catch (error) {
      throw new RecordError(`${label} line ${lineNumber}: ${describeError(error)}`, {});
    }
    yield { value, where: `${label} line ${lineNumber}` };
  }
}
