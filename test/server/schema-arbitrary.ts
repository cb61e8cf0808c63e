import fc from 'fast-check';

/** The slice of JSON Schema the sync server's OpenAPI document uses. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: readonly unknown[];
  const?: unknown;
  oneOf?: readonly JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  items?: JsonSchema;
  if?: JsonSchema;
  then?: JsonSchema;
}

const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 4,
});

/**
 * Values valid against `schema`, drawn at random: a small generator for the document's own
 * schemas (refs resolved against `root`), so requests follow exactly what the document says.
 */
export function arbitraryFor(schema: JsonSchema, root: object): fc.Arbitrary<unknown> {
  if (schema.$ref) return arbitraryFor(resolve(schema.$ref, root), root);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map((option) => arbitraryFor(option, root)));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) {
    return fc.oneof(...types.map((type) => arbitraryFor({ ...schema, type }, root)));
  }
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = schema.minimum ?? Number.MIN_SAFE_INTEGER;
      const max = schema.maximum ?? Number.MAX_SAFE_INTEGER;
      return fc.oneof(
        fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }),
        fc.constantFrom(min, max),
      );
    }
    case 'string':
      return stringFor(schema);
    case 'array':
      return fc.array(arbitraryFor(schema.items ?? {}, root), { maxLength: 4 });
    case 'object':
      return objectFor(schema, root);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : null;
  const codePoints = (text: string) => [...text].length;
  const fits = (text: string) =>
    codePoints(text) >= (schema.minLength ?? 0) &&
    codePoints(text) <= (schema.maxLength ?? Number.POSITIVE_INFINITY) &&
    (!pattern || pattern.test(text));
  if (pattern && schema.minLength === undefined && schema.maxLength === undefined) {
    return fc.stringMatching(pattern);
  }
  const length = { minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 40 };
  // Any code point, surrogates and NUL included, so the pattern has something to refuse; the
  // longest strings allowed are drawn on purpose (lengths are code points, not UTF-16 units).
  return fc
    .oneof(
      fc.string({ ...length, unit: 'binary' }),
      fc.string({ ...length, unit: 'grapheme' }),
      fc.string({
        minLength: length.maxLength,
        maxLength: length.maxLength,
        unit: fc.constantFrom('a', '\u{1F600}', 'é'),
      }),
    )
    .filter(fits);
}

function objectFor(schema: JsonSchema, root: object): fc.Arbitrary<unknown> {
  const properties = schema.properties;
  if (!properties) return jsonObject;
  const record = fc.record(
    Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [key, arbitraryFor(value, root)]),
    ),
    { requiredKeys: [...(schema.required ?? [])] },
  );
  const { if: condition, then } = schema;
  if (!condition || !then) return record;
  // `if`/`then`: when the drawn object matches the condition, redraw what `then` constrains.
  return record.chain((value) => {
    const object = value as Record<string, unknown>;
    const matches = Object.entries(condition.properties ?? {}).every(
      ([key, rule]) => rule.const === undefined || object[key] === rule.const,
    );
    if (!matches) return fc.constant(object);
    const redrawn = Object.fromEntries(
      Object.entries(then.properties ?? {}).map(([key, rule]) => [key, arbitraryFor(rule, root)]),
    );
    return fc.record(redrawn).map((extra) => ({ ...object, ...extra }));
  });
}

function resolve(ref: string, root: object): JsonSchema {
  let node: unknown = root;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    node = (node as Record<string, unknown>)[part];
  }
  if (!node) throw new Error(`No ${ref} in the document`);
  return node as JsonSchema;
}
