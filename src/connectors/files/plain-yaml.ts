import type * as Yaml from 'yaml';
import type { JsonValue } from '../../model/index.js';

/**
 * A fast path for the YAML that keepsync writes itself: sorted mappings, sequences and
 * single-line ASCII scalars, each byte as the `yaml` package would write it. Anything else
 * (multi-line or non-ASCII strings, strings that would need single quotes or escapes, long
 * keys) is left to the `yaml` package: the functions return undefined.
 */
export class PlainYaml {
  readonly #tests: RegExp[];

  /**
   * `schema` is the one the `yaml` package writes with: a plain string any of its tags (or
   * compat tags) would read as something else is written quoted.
   */
  constructor(schema: Yaml.Schema) {
    const tags = [...schema.tags, ...(Array.isArray(schema.compat) ? schema.compat : [])];
    this.#tests = tags.flatMap((tag) =>
      tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test instanceof RegExp
        ? [tag.test]
        : [],
    );
  }

  /** The text `yaml.stringify` gives for this mapping, or undefined when it is not plain. */
  stringify(value: JsonValue): string | undefined {
    if (!isMapping(value) || Object.keys(value).length === 0) return undefined;
    try {
      return this.#mapping(value, '');
    } catch (error) {
      if (error === NOT_PLAIN) return undefined;
      throw error;
    } finally {
      forgetLastSubject();
    }
  }

  /**
   * The value of a text this class would have written, or undefined for any other text.
   * What is read is written again and must give the same bytes, so every text accepted
   * here is one the `yaml` package writes, and reads back, as this value.
   */
  parse(text: string): JsonValue | undefined {
    if (!text.endsWith('\n') || text.includes('\r')) return undefined;
    const lines = text.split('\n');
    lines.pop();
    const reader = { lines, at: 0 };
    let value: JsonValue;
    try {
      value = readMapping(reader, '');
    } catch (error) {
      if (error === NOT_PLAIN) return undefined;
      throw error;
    }
    if (reader.at !== lines.length) return undefined;
    return this.stringify(value) === text ? value : undefined;
  }

  #mapping(value: { readonly [key: string]: JsonValue }, indent: string): string {
    let out = '';
    for (const key of Object.keys(value).sort()) {
      out += `${indent}${this.#scalar(key)}:${this.#after(value[key]!, `${indent}  `)}`;
    }
    return out;
  }

  #sequence(value: readonly JsonValue[], indent: string): string {
    let out = '';
    const inner = `${indent}  `;
    for (const item of value) {
      const after = this.#after(item, inner);
      // A block item starts on the dash line: `- key: value`, `- - item`.
      out += `${indent}-${after.startsWith('\n') ? ` ${after.slice(1 + inner.length)}` : after}`;
    }
    return out;
  }

  /** What follows `key:` or `-`: a scalar on the same line, or a block on the next ones. */
  #after(value: JsonValue, inner: string): string {
    if (Array.isArray(value)) {
      return value.length === 0 ? ' []\n' : `\n${this.#sequence(value, inner)}`;
    }
    if (isMapping(value)) {
      return Object.keys(value).length === 0 ? ' {}\n' : `\n${this.#mapping(value, inner)}`;
    }
    return ` ${this.#scalar(value as string | number | boolean | null)}\n`;
  }

  #scalar(value: string | number | boolean | null): string {
    if (value === null) return 'null';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return Object.is(value, -0) ? '-0' : JSON.stringify(value);
    }
    if (typeof value !== 'string') throw NOT_PLAIN;
    if (value.length > 1000 || !PRINTABLE_ASCII.test(value) || DOCUMENT_MARKER.test(value)) {
      throw NOT_PLAIN;
    }
    if (!NOT_PLAIN_SHAPE.test(value) && !this.#tests.some((test) => test.test(value))) {
      return value;
    }
    // The yaml package quotes with double quotes unless that needs escapes; those go to it.
    if (value.includes('"') || value.includes('\\')) throw NOT_PLAIN;
    return `"${value}"`;
  }
}

/**
 * V8 keeps the last string a regular expression ran on (`RegExp.input`) alive; without this,
 * the last value written or read, a resource's body among them, would stay on the heap.
 */
function forgetLastSubject(): void {
  EMPTY.test('');
}
const EMPTY = /^$/;

/** Thrown inside, caught at the top: this value or text is not for the fast path. */
const NOT_PLAIN = Symbol('not plain');

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** The yaml package's own rule for strings it cannot write plain (stringifyString.js). */
const NOT_PLAIN_SHAPE =
  /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(?:%|---|\.\.\.)/m;

function isMapping(value: unknown): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface LineReader {
  readonly lines: readonly string[];
  at: number;
}

/** `key: scalar`, `key: []`, `key: {}` or `key:` with a block below, at this indent. */
function readMapping(reader: LineReader, indent: string): { [key: string]: JsonValue } {
  const value: { [key: string]: JsonValue } = {};
  let first = true;
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at]!;
    if (!line.startsWith(indent) || line.charCodeAt(indent.length) === 32) break;
    if (line.startsWith('- ', indent.length) || line === `${indent}-`) break;
    // The first entry of a mapping in a sequence item shares the `- ` line.
    reader.at++;
    const rest = line.slice(indent.length);
    const colon = keyEnd(rest);
    const key = readScalarText(rest.slice(0, colon));
    if (typeof key !== 'string' || key === '__proto__' || Object.hasOwn(value, key)) {
      throw NOT_PLAIN;
    }
    value[key] = readAfter(reader, rest.slice(colon + 1), `${indent}  `);
    first = false;
  }
  if (first) throw NOT_PLAIN;
  return value;
}

function readSequence(reader: LineReader, indent: string): JsonValue[] {
  const items: JsonValue[] = [];
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at]!;
    if (!line.startsWith(`${indent}-`)) break;
    const rest = line.slice(indent.length + 1);
    if (rest === '') {
      reader.at++;
      items.push(readAfter(reader, '', `${indent}  `));
      continue;
    }
    if (!rest.startsWith(' ')) throw NOT_PLAIN;
    // An item that is itself a block starts on the dash line: read it as if it had its own.
    const inner = `${indent}  `;
    const body = rest.slice(1);
    if (body.startsWith('- ') || body === '-') {
      (reader.lines as string[])[reader.at] = `${inner}${body}`;
      items.push(readSequence(reader, inner));
    } else if (keyEnd(body) >= 0 && body !== '[]' && body !== '{}' && !isQuotedScalar(body)) {
      (reader.lines as string[])[reader.at] = `${inner}${body}`;
      items.push(readMapping(reader, inner));
    } else {
      reader.at++;
      items.push(readAfter(reader, ` ${body}`, inner));
    }
  }
  if (items.length === 0) throw NOT_PLAIN;
  return items;
}

function readAfter(reader: LineReader, rest: string, inner: string): JsonValue {
  if (rest === '') {
    const next = reader.lines[reader.at];
    if (next === undefined) throw NOT_PLAIN;
    return next.startsWith(`${inner}-`) ? readSequence(reader, inner) : readMapping(reader, inner);
  }
  if (!rest.startsWith(' ')) throw NOT_PLAIN;
  const text = rest.slice(1);
  if (text === '[]') return [];
  if (text === '{}') return {};
  return readScalarText(text);
}

/** Where a mapping key ends: its colon, found after a quoted key or at the first `: `. */
function keyEnd(rest: string): number {
  if (rest.startsWith('"')) {
    const close = rest.indexOf('"', 1);
    if (close < 0 || rest[close + 1] !== ':') return -1;
    return close + 1;
  }
  const spaced = rest.indexOf(': ');
  if (spaced >= 0) return spaced;
  return rest.endsWith(':') ? rest.length - 1 : -1;
}

function isQuotedScalar(text: string): boolean {
  return text.startsWith('"') && text.indexOf('"', 1) === text.length - 1;
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]\d+)?$/;

/** A scalar as the writer writes it; the round trip in `parse` refuses any other reading. */
function readScalarText(text: string): JsonValue {
  if (text.length === 0) throw NOT_PLAIN;
  if (text.startsWith('"')) {
    if (!isQuotedScalar(text) || text.includes('\\')) throw NOT_PLAIN;
    return text.slice(1, -1);
  }
  if (text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (NUMBER.test(text)) return Number(text);
  return text;
}
