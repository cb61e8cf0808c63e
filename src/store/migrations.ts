import { KeepsyncError } from '../model/index.js';

/**
 * A schema change, named rather than numbered so that features built side by side can each
 * add their own without fighting over version numbers. Both stores use the same ids.
 */
export interface Migration<Sql> {
  readonly id: string;
  readonly sql: Sql;
}

/** The migrations still to apply, in order; refuses a store migrated by a newer keepsync. */
export function pendingMigrations<Sql>(
  all: readonly Migration<Sql>[],
  applied: ReadonlySet<string>,
): Migration<Sql>[] {
  const known = new Set(all.map((migration) => migration.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new KeepsyncError(
      'STORE_FAILED',
      `The store has migrations this keepsync does not know (${unknown.join(', ')}); upgrade keepsync`,
    );
  }
  return all.filter((migration) => !applied.has(migration.id));
}
