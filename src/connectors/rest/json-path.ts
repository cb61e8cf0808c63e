import type { JsonValue } from '../../model/index.js';

/**
 * Reads a dotted path such as `data.items` or `meta.next[0]` from a JSON value; `''` is the
 * value itself. Undefined when any step is missing.
 */
export function readPath(value: JsonValue | undefined, path: string): JsonValue | undefined {
  if (path === '') return value;
  let current: JsonValue | undefined = value;
  for (const step of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(step);
    if (!match) return undefined;
    if (match[1]) {
      if (!current || typeof current !== 'object' || Array.isArray(current)) return undefined;
      current = (current as { readonly [key: string]: JsonValue })[match[1]];
    }
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(index[1])];
    }
  }
  return current;
}

/** Where records usually sit when no path is given: the body itself, or a common envelope. */
export function findRecords(body: JsonValue): readonly JsonValue[] | undefined {
  if (Array.isArray(body)) return body;
  if (!body || typeof body !== 'object') return undefined;
  const object = body as { readonly [key: string]: JsonValue };
  const embedded = object._embedded;
  if (embedded && typeof embedded === 'object' && !Array.isArray(embedded)) {
    const first = Object.values(embedded).find(Array.isArray);
    if (first) return first;
  }
  for (const name of ['items', 'data', 'results', 'records', 'values']) {
    if (Array.isArray(object[name])) return object[name] as JsonValue[];
  }
  return undefined;
}
