import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import {
  canonicalJson,
  describeError,
  type Fields,
  isKeepsyncError,
  type JsonValue,
  RecordError,
} from '../../model/index.js';
import type { FileFormat } from './naming.js';
import { PlainYaml } from './plain-yaml.js';

// yaml loads on the first YAML file, not with every import of keepsync (a config's among them).
const require = createRequire(import.meta.url);
const loadYaml = (): typeof Yaml => require('yaml');

export type FileFields = { readonly [field: string]: JsonValue };

/** What one record file holds. */
export interface RecordFileContent {
  readonly key: string;
  /** Plain JSON values: Dates were written as ISO strings. */
  readonly fields: FileFields;
  readonly body?: string | undefined;
  /** Only read, never written: the source's modification time when a person set one. */
  readonly updatedAt?: Date | undefined;
}

const TOP_LEVEL = new Set(['key', 'fields', 'body', 'updatedAt']);

/**
 * The text of a record file: `key`, `fields`, then `body`, with every mapping inside `fields`
 * sorted by name, so the same record always gives the same bytes and diffs stay small.
 */
export function serializeRecordFile(content: RecordFileContent, format: FileFormat): string {
  const top: Array<[string, JsonValue]> = [
    ['key', content.key],
    ['fields', content.fields],
  ];
  if (content.body !== undefined) top.push(['body', content.body]);
  if (format === 'json') return `${jsonObject(top, '')}\n`;
  // lineWidth 0: long strings are never folded, so a small edit stays a one-line diff.
  return loadYaml().stringify(new Map(top.map(([name, value]) => [name, sortedYaml(value)])), {
    lineWidth: 0,
    minContentWidth: 0,
    aliasDuplicateObjects: false,
  });
}

/**
 * Any JSON value as stable text, every mapping sorted by name as in record files, so the same
 * value always gives the same bytes. YAML quotes what a YAML 1.1 reader would not read back as
 * a string (see yaml11Lookalikes).
 */
export function serializeSortedValue(value: JsonValue, format: FileFormat): string {
  if (format === 'json') return `${sortedJson(value, '')}\n`;
  const plain = plainYaml().stringify(value);
  if (plain !== undefined) return plain;
  return loadYaml().stringify(sortedYaml(value), {
    lineWidth: 0,
    minContentWidth: 0,
    aliasDuplicateObjects: false,
    compat: yaml11Lookalikes(),
  });
}

/**
 * YAML 1.1's `=` (the "value" key type): PyYAML resolves it and its safe loader then refuses
 * the document, and the yaml package's 1.1 schema does not know it.
 */
const valueKeyTag: Yaml.ScalarTag = {
  tag: 'tag:yaml.org,2002:value',
  default: true,
  test: /^=$/,
  resolve: (text) => text,
};

/**
 * Strings that YAML 1.1 readers (PyYAML, and so resource-sync) would read as something else:
 * dates, yes/no/on/off/y/n, 1:20, 0777, 1_000... are written quoted; every other string keeps
 * its plain form, so files without such strings keep their bytes.
 */
let lookalikes: Yaml.Tags | undefined;
const yaml11Lookalikes = (): Yaml.Tags => {
  lookalikes ??= [...new (loadYaml().Schema)({ schema: 'yaml-1.1' }).tags, valueKeyTag];
  return lookalikes;
};

/** The fast path for the YAML written above, with the same quoting of lookalikes. */
let plainYamlPath: PlainYaml | undefined;
const plainYaml = (): PlainYaml => {
  plainYamlPath ??= new PlainYaml(
    new (loadYaml().Document)(null, { compat: yaml11Lookalikes() }).schema,
  );
  return plainYamlPath;
};

/**
 * Parses and checks a record file; errors name the file and, for syntax errors, the line.
 * With `defaultKey`, a file without `key` gets it, and a plain mapping (no `fields`, `body` or
 * `updatedAt` entry) is the record's fields.
 */
export function parseRecordFile(
  text: string,
  format: FileFormat,
  file: string,
  defaultKey?: string,
): RecordFileContent {
  let value = parseText(text, format, file);
  if (defaultKey !== undefined && isPlainObject(value)) {
    const { key = defaultKey, ...rest } = value;
    const plain = !('fields' in rest) && !('body' in rest) && !('updatedAt' in rest);
    value = plain ? { key, fields: rest } : { key, ...rest };
  }
  return toContent(value, file);
}

/** Fields as the JSON a file holds; a value with no JSON form is refused, naming key and field. */
export function plainFields(key: string, fields: Fields): FileFields {
  try {
    return JSON.parse(canonicalJson(fields)) as FileFields;
  } catch (error) {
    const field = isKeepsyncError(error) ? (error as RecordError).field : undefined;
    throw new RecordError(
      `record ${key}: ${describeError(error)}`,
      { key, field },
      { cause: error },
    );
  }
}

/** Parses one JSON or YAML document; a syntax error names the file and the line. */
export function parseText(text: string, format: FileFormat, file: string): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      const message = describeError(error);
      const position = /at position (\d+)/.exec(message);
      const offset = position ? Number(position[1]) : text.length;
      throw syntaxError(
        file,
        text,
        offset,
        message.replace(/(?: in JSON)? at position \d+.*$/, ''),
      );
    }
  }
  // Files keepsync wrote are read without building a syntax tree; any other goes to yaml.
  const plain = plainYaml().parse(text);
  if (plain !== undefined) return plain;
  const document = loadYaml().parseDocument(text, { prettyErrors: false });
  const first = document.errors[0];
  if (first) throw syntaxError(file, text, first.pos[0], first.message);
  try {
    return document.toJS();
  } catch (error) {
    throw new RecordError(`${file}: ${describeError(error)}`, {}, { cause: error });
  }
}

function syntaxError(file: string, text: string, offset: number, message: string): RecordError {
  // Errors found at the end of the input belong to its last line, not the trailing newline.
  const end = Math.min(offset, text.trimEnd().length);
  let line = 1;
  for (let index = 0; index < end; index++) {
    if (text.charCodeAt(index) === 10) line++;
  }
  return new RecordError(`${file} line ${line}: ${message}`, {});
}

function toContent(value: unknown, file: string): RecordFileContent {
  if (!isPlainObject(value)) {
    throw new RecordError(
      `${file}: expected a mapping with \`key\` and \`fields\`, got ${kindOf(value)}`,
      {},
    );
  }
  for (const name of Object.keys(value)) {
    if (!TOP_LEVEL.has(name)) {
      throw new RecordError(
        `${file}: unexpected top-level entry \`${name}\` (expected key, fields, body, updatedAt; record values go under \`fields\`)`,
        { field: name },
      );
    }
  }
  const key = readKey(value.key, file);
  const fields = value.fields ?? {};
  if (!isPlainObject(fields)) {
    throw new RecordError(`${file}: \`fields\` must be a mapping, got ${kindOf(fields)}`, {
      key,
      field: 'fields',
    });
  }
  try {
    canonicalJson(fields);
  } catch (error) {
    const field = (error as RecordError).field;
    throw new RecordError(`${file}: ${describeError(error)}`, { key, field }, { cause: error });
  }
  if (value.body !== undefined && value.body !== null && typeof value.body !== 'string') {
    throw new RecordError(`${file}: \`body\` must be a string, got ${kindOf(value.body)}`, {
      key,
      field: 'body',
    });
  }
  return {
    key,
    fields: fields as FileFields,
    body: typeof value.body === 'string' ? value.body : undefined,
    updatedAt: readUpdatedAt(value.updatedAt, file, key),
  };
}

function readKey(key: unknown, file: string): string {
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  if (typeof key === 'string' && key.trim() !== '') return key;
  if (key === undefined || key === null || typeof key === 'string') {
    throw new RecordError(`${file} has no \`key\`; every record file needs its record's key`, {});
  }
  throw new RecordError(`${file}: \`key\` must be a string, got ${kindOf(key)}`, { field: 'key' });
}

function readUpdatedAt(value: unknown, file: string, key: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) {
    throw new RecordError(
      `${file}: \`updatedAt\` must be an ISO date-time, got ${JSON.stringify(value)}`,
      { key, field: 'updatedAt' },
    );
  }
  return date;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** Maps keep their entry order in YAML, unlike objects, whose integer-like keys jump ahead. */
function sortedYaml(value: JsonValue): unknown {
  if (isJsonArray(value)) return value.map(sortedYaml);
  if (value !== null && typeof value === 'object') {
    return new Map(sortedEntries(value).map(([name, item]) => [name, sortedYaml(item)]));
  }
  return value;
}

function sortedJson(value: JsonValue, indent: string): string {
  if (isJsonArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${value.map((item) => inner + sortedJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') return jsonObject(sortedEntries(value), indent);
  return JSON.stringify(value);
}

function jsonObject(entries: ReadonlyArray<readonly [string, JsonValue]>, indent: string): string {
  if (entries.length === 0) return '{}';
  const inner = `${indent}  `;
  const members = entries.map(
    ([name, value]) => `${inner}${JSON.stringify(name)}: ${sortedJson(value, inner)}`,
  );
  return `{\n${members.join(',\n')}\n${indent}}`;
}

/** Array.isArray does not narrow readonly arrays out of a union. */
function isJsonArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}

function sortedEntries(value: { readonly [key: string]: JsonValue }): Array<[string, JsonValue]> {
  return Object.keys(value)
    .sort()
    .map((name) => [name, value[name]!]);
}
