import { z } from 'zod';
import { KeepsyncError } from '../model/index.js';

/** A schema member for a function option (jiti does not type-check configs). */
export const fn = () =>
  z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', {
    message: 'expected a function',
  });

/** A schema member for an object the code checks itself (a source, a client...). */
export const anyObject = () =>
  z.custom<object>((value) => typeof value === 'object' && value !== null, {
    message: 'expected an object',
  });

/**
 * A strict object schema whose keys are exactly the options interface's: a key missing from
 * the shape, or one the interface lacks, fails to compile, so the two cannot drift apart.
 */
export function optionsSchema<T>(shape: { [K in keyof T]-?: z.ZodType }) {
  return z.strictObject(shape);
}

/**
 * Checks options against a strict schema. Every problem names its place; an unknown key also
 * names the closest valid one, so `schedul` says "did you mean `schedule`?".
 */
export function checkOptions<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return value as T;
  throw new KeepsyncError('CONFIG_INVALID', `${where}: ${describeIssues(schema, parsed.error)}`);
}

/** One line per issue, joined with "; ". */
export function describeIssues(schema: z.ZodType, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const place = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const valid = keysAt(schema, issue.path);
        return issue.keys
          .map((key) => {
            const name = place ? `${place}.${key}` : key;
            const near = closest(key, valid);
            return `unknown option \`${name}\`${near ? ` (did you mean \`${near}\`?)` : valid.length ? ` (valid: ${valid.join(', ')})` : ''}`;
          })
          .join('; ');
      }
      return `${place ? `\`${place}\`: ` : ''}${issue.message.replace(/^Invalid input: /, '')}`;
    })
    .join('; ');
}

/** The closest of `candidates` to `name` by edit distance, when close enough to be a typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The keys an object schema allows at a path of a value. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  for (const step of [...path, null]) {
    current = unwrap(current);
    if (step === null) break;
    if (current instanceof z.ZodObject) current = current.shape[String(step)];
    else if (current instanceof z.ZodArray) current = current.element;
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
    current = current.unwrap();
  }
  return current;
}
