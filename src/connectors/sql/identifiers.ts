import { KeepsyncError } from '../../model/index.js';

const IDENTIFIER = /^[A-Za-z0-9_]+$/;
/** PostgreSQL silently truncates longer names, which would point at another column. */
const MAX_IDENTIFIER_LENGTH = 63;

/** A table, optionally in a schema, with its quoted SQL form and a label for messages. */
export interface TableRef {
  readonly schema: string | undefined;
  readonly name: string;
  readonly sql: string;
  readonly label: string;
}

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && name.length <= MAX_IDENTIFIER_LENGTH;
}

/**
 * Names from config end up inside SQL text, so only letters, digits and underscores pass:
 * quoting alone would not stop a `"` from closing the identifier.
 */
export function checkIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !isIdentifier(name)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${what} to be a SQL name of letters, digits and underscores (at most ${MAX_IDENTIFIER_LENGTH}), got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

export function quoteIdentifier(name: string): string {
  return `"${name}"`;
}

/** `table` or `schema.table`, each part checked. */
export function parseTable(table: unknown): TableRef {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected \`table\` to be a table name or schema.table, got ${JSON.stringify(table)}`,
    );
  }
  const name = checkIdentifier(parts.at(-1), '`table`');
  const schema =
    parts.length === 2 ? checkIdentifier(parts[0], 'the schema of `table`') : undefined;
  return {
    schema,
    name,
    sql:
      schema === undefined
        ? quoteIdentifier(name)
        : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`,
    label: schema === undefined ? name : `${schema}.${name}`,
  };
}
