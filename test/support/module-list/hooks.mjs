// Module hooks run on their own thread; each resolved URL is appended as it resolves, so the
// list is complete even when the process exits without waiting.
import { appendFileSync } from 'node:fs';

let list;

export function initialize(data) {
  list = data.list;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(list, `${resolved.url}\n`);
  return resolved;
}
