/**
 * Whether two lists of field names are the same, in the same order. Records of one source
 * share their names in one order, and names are interned strings: comparing them one by one
 * is cheaper than joining them into a key to look up, so per-record caches check this first.
 */
export function sameNames(names: readonly string[], other: readonly string[]): boolean {
  if (names.length !== other.length) return false;
  for (let index = 0; index < names.length; index++) {
    if (names[index] !== other[index]) return false;
  }
  return true;
}
