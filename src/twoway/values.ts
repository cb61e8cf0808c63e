import { canonicalJson, type Fields, type NeutralValue } from '../model/index.js';
import type { ResolvedField } from './define.js';
import type { FieldValues, Side } from './types.js';

/**
 * Deep equality of neutral values with the meaning of their canonical JSON: key order does
 * not matter, a Date equals its ISO string, `undefined` equals `null`. Primitives take a
 * fast path, as most fields are.
 */
export function sameValue(a: NeutralValue | undefined, b: NeutralValue | undefined): boolean {
  if (a === b) return true;
  const left = a ?? null;
  const right = b ?? null;
  if (left === null || right === null) return left === right;
  const kindA = typeof left;
  const kindB = typeof right;
  if (kindA !== 'object' && kindB !== 'object') return false;
  // Arrays element by element (tag lists are common and mostly primitives).
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length !== right.length) return false;
    for (let index = 0; index < left.length; index++) {
      if (!sameValue(left[index], right[index])) return false;
    }
    return true;
  }
  return canonicalJson(left) === canonicalJson(right);
}

/** The mapped fields of a record, named and represented as on its own side. */
export function project(
  fields: readonly ResolvedField[],
  side: Side,
  recordFields: Fields,
): FieldValues {
  const values: Record<string, NeutralValue> = {};
  for (const field of fields) {
    const name = side === 'left' ? field.left : field.right;
    values[name] = recordFields[name] ?? null;
  }
  return values;
}

/** Values of one side converted to the other side's names and representation. */
export function convert(
  fields: readonly ResolvedField[],
  from: Side,
  values: FieldValues,
): FieldValues {
  const out: Record<string, NeutralValue> = {};
  for (const field of fields) {
    if (from === 'left') out[field.right] = field.toRight(values[field.left] ?? null);
    else out[field.left] = field.toLeft(values[field.right] ?? null);
  }
  return out;
}
