import { RecordError } from './errors.js';
import { isoDate } from './iso-date.js';
import { sameNames } from './same-names.js';

/**
 * The canonical JSON form of a neutral value: object keys sorted, Dates as ISO strings,
 * `undefined` object members omitted. Two values with the same meaning give the same text,
 * whatever their key order, so a hash of it detects real changes only.
 *
 * Throws a RecordError naming the path of the first value that has no JSON meaning
 * (functions, symbols, bigints, non-finite numbers, class instances, cycles).
 */
export function canonicalJson(value: unknown): string {
  try {
    return write(value, 0);
  } catch (error) {
    if (error !== UNSERIALISABLE) throw error;
    // The fast pass keeps no paths; find the culprit again, naming where it is.
    throw explain(value, '', new Set());
  }
}

/** Deep enough for any real record; deeper is treated as a cycle. */
const MAX_DEPTH = 200;
const UNSERIALISABLE = Symbol('unserialisable');
/** Field names repeat across records; quoting each once saves work on the hot path. */
const quotedNames = new Map<string, string>();
const MAX_QUOTED_NAMES = 10_000;

function quoteName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(name)}:`;
    if (quotedNames.size < MAX_QUOTED_NAMES) quotedNames.set(name, quoted);
  }
  return quoted;
}

/** An object's member names in sorted order, each also quoted with its colon. */
interface NameOrder {
  readonly names: readonly string[];
  readonly sorted: readonly string[];
  readonly quoted: readonly string[];
}

/**
 * The last name order seen per object size: records of one source share their field names
 * in one order, so comparing the names (interned strings) skips the sort and the quoting.
 */
const MAX_CACHED_WIDTH = 64;
const lastOrder: Array<NameOrder | undefined> = [];

function nameOrder(object: object): NameOrder {
  const names = Object.keys(object);
  const width = names.length;
  const previous = width <= MAX_CACHED_WIDTH ? lastOrder[width] : undefined;
  if (previous !== undefined && sameNames(previous.names, names)) return previous;
  const sorted = [...names].sort();
  const order = { names, sorted, quoted: sorted.map(quoteName) };
  if (width <= MAX_CACHED_WIDTH) lastOrder[width] = order;
  return order;
}

/** What JSON.stringify escapes in a string: quote, backslash, controls, (lone) surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(text)`, cheaper for the usual text that needs no escaping (a test instead
 * of a copy).
 */
export function quoteJsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quoteJsonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw UNSERIALISABLE;
      // A finite number's JSON text is its string form (-0 included: both give "0").
      return `${value}`;
    case 'undefined':
      return 'null';
    case 'object':
      break;
    default:
      throw UNSERIALISABLE;
  }
  if (value === null) return 'null';
  if (depth > MAX_DEPTH) throw UNSERIALISABLE;
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) throw UNSERIALISABLE;
    return `"${isoDate(value)}"`;
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) text += ',';
      text += write(value[index], depth + 1);
    }
    return `${text}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw UNSERIALISABLE;
  const object = value as Record<string, unknown>;
  const { sorted, quoted } = nameOrder(object);
  let text = '{';
  let first = true;
  for (let index = 0; index < sorted.length; index++) {
    const member = object[sorted[index]!];
    if (member === undefined) continue;
    if (!first) text += ',';
    first = false;
    // Strings are most field values: quoting them here saves a call per field.
    text +=
      quoted[index]! +
      (typeof member === 'string' ? quoteJsonString(member) : write(member, depth + 1));
  }
  return `${text}}`;
}

/** The slow pass: the same walk, with paths, returning the error for the first culprit. */
function explain(value: unknown, path: string, ancestors: Set<object>): RecordError {
  const problem = describeProblem(value, ancestors);
  if (problem) return unserialisable(path, problem);
  if (typeof value !== 'object' || value === null || value instanceof Date) {
    return unserialisable(path, 'not serialisable');
  }
  ancestors.add(value);
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [`${path}[${index}]`, item])
    : Object.keys(value)
        .sort()
        .map((name) => [
          path === '' ? name : `${path}.${name}`,
          (value as Record<string, unknown>)[name],
        ]);
  for (const [childPath, child] of entries) {
    try {
      write(child, 0);
    } catch {
      return explain(child, childPath, ancestors);
    }
  }
  return unserialisable(path, 'nested too deeply');
}

function describeProblem(value: unknown, ancestors: Set<object>): string | null {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? null : String(value);
    case 'string':
    case 'boolean':
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return `a ${typeof value}`;
  }
  if (value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : null;
  if (ancestors.has(value)) return 'a circular reference';
  if (Array.isArray(value)) return null;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return `an instance of ${proto?.constructor?.name ?? 'an unknown class'}`;
  }
  return null;
}

function unserialisable(path: string, what: string): RecordError {
  const where = path === '' ? 'the value' : `field \`${path}\``;
  return new RecordError(`${where} is ${what}, which has no JSON form`, {
    field: path || undefined,
  });
}
