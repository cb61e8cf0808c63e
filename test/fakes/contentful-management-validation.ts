/** The checks the CMA makes of an entry's fields: types on save, requirements on publish. */

export type FakeFieldType =
  | 'Symbol'
  | 'Text'
  | 'Integer'
  | 'Number'
  | 'Boolean'
  | 'Date'
  | 'Object'
  | 'Link'
  | 'Array';

export interface FakeContentTypeField {
  id: string;
  type: FakeFieldType;
  /** Checked on publish, as Contentful does; a draft may leave it empty. */
  required?: boolean;
}

/** One of `details.errors` of a 422 ValidationFailed. */
export type ValidationError = { name: string; path: (string | number)[]; details: string } & Record<
  string,
  unknown
>;

type LocalizedFields = Record<string, Record<string, unknown>>;

/** What a save refuses: fields the content type lacks, unknown locales, wrong types. */
export function saveErrors(
  contentType: readonly FakeContentTypeField[],
  locales: readonly string[],
  fields: LocalizedFields,
): ValidationError[] {
  const known = new Map(contentType.map((f) => [f.id, f]));
  const errors: ValidationError[] = [];
  for (const [name, perLocale] of Object.entries(fields)) {
    const field = known.get(name);
    if (!field) {
      errors.push({
        name: 'unknown',
        path: ['fields', name],
        details: `The property "${name}" is not expected`,
      });
      continue;
    }
    for (const [locale, value] of Object.entries(perLocale ?? {})) {
      if (!locales.includes(locale)) {
        errors.push({
          name: 'unknown',
          path: ['fields', name, locale],
          details: `The property "${locale}" is not expected`,
        });
      } else if (!hasType(field.type, value)) {
        errors.push({
          name: 'type',
          type: field.type,
          value,
          path: ['fields', name, locale],
          details: `The type of "value" is incorrect, expected type: ${field.type}`,
        });
      }
    }
  }
  return errors;
}

/** What a publish refuses: a required field empty in the default locale, a Symbol over 255. */
export function publishErrors(
  contentType: readonly FakeContentTypeField[],
  defaultLocale: string,
  fields: LocalizedFields,
): ValidationError[] {
  const errors: ValidationError[] = [];
  for (const field of contentType) {
    const perLocale = fields[field.id] ?? {};
    if (field.required && (perLocale[defaultLocale] ?? '') === '') {
      errors.push({
        name: 'required',
        path: ['fields', field.id],
        details: 'The property is required',
      });
    }
    for (const [locale, value] of Object.entries(perLocale)) {
      if (field.type === 'Symbol' && typeof value === 'string' && value.length > 255) {
        errors.push({
          name: 'size',
          max: 255,
          path: ['fields', field.id, locale],
          details: 'Size must be at most 255',
        });
      }
    }
  }
  return errors;
}

function hasType(type: FakeFieldType, value: unknown): boolean {
  switch (type) {
    case 'Symbol':
    case 'Text':
      return typeof value === 'string';
    case 'Integer':
      return Number.isInteger(value);
    case 'Number':
      return typeof value === 'number';
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    case 'Object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'Link':
      return (value as { sys?: { type?: string } } | null)?.sys?.type === 'Link';
    case 'Array':
      return Array.isArray(value);
  }
}
