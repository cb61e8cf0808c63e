import { RecordError } from './errors.js';

/**
 * The canonical JSON form of a neutral value: object keys sorted, Dates as ISO strings,
 * `undefined` object members omitted. Two values with the same meaning give the same text,
 * whatever their key order, so a hash of it detects real changes only.
 *
 * Throws a RecordError naming the path of the first value that has no JSON meaning
 * (functions, symbols, bigints, non-finite numbers, class instances, cycles).
 */
export function canonicalJson(value: unknown): string {
  return write(value, '', new Set());
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw unserialisable(path, String(value));
      return JSON.stringify(value);
    case 'undefined':
      return 'null';
    case 'object':
      break;
    default:
      throw unserialisable(path, `a ${typeof value}`);
  }
  if (value === null) return 'null';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw unserialisable(path, 'an invalid Date');
    return JSON.stringify(value.toISOString());
  }
  if (ancestors.has(value)) throw unserialisable(path, 'a circular reference');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const parts = value.map((item, index) => write(item, `${path}[${index}]`, ancestors));
      return `[${parts.join(',')}]`;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw unserialisable(
        path,
        `an instance of ${proto?.constructor?.name ?? 'an unknown class'}`,
      );
    }
    const entries = Object.keys(value)
      .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
      .sort()
      .map(
        (name) =>
          `${JSON.stringify(name)}:${write((value as Record<string, unknown>)[name], join(path, name), ancestors)}`,
      );
    return `{${entries.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function unserialisable(path: string, what: string): RecordError {
  const where = path === '' ? 'the value' : `field \`${path}\``;
  return new RecordError(`${where} is ${what}, which has no JSON form`, {
    field: path || undefined,
  });
}
