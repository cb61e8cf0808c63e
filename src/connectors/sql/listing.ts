import type { Fields, NeutralValue } from '../../model/index.js';
import type { ListedObject } from '../../sync/index.js';
import { decodeValue } from './decode.js';
import type { DestinationSettings } from './destination-settings.js';
import { Placeholders } from './dialect.js';
import { quoteIdentifier } from './identifiers.js';
import { readColumns } from './schema.js';

const LIST_PAGE = 1000;

/**
 * The table's rows as listed objects, paged by key (a range search on the key's index):
 * columns are read back under their field names (`columns` reversed), the JSON column's
 * members become fields, and the body and archived columns fill their own places.
 */
export async function* listRows(settings: DestinationSettings): AsyncGenerator<ListedObject[]> {
  const { client, dialect, table } = settings;
  const types = await readColumns(client, table);
  if (types === null) return;
  const fieldOf = new Map<string, string>();
  for (const [field, column] of settings.columns) fieldOf.set(column, field);
  const key = quoteIdentifier(settings.key);
  let after: string | null = null;
  for (;;) {
    const params = new Placeholders(dialect);
    const where = after === null ? '' : `WHERE ${key} > ${params.add(after)} `;
    const rows = await client.query(
      `SELECT * FROM ${table.sql} ${where}ORDER BY ${key} LIMIT ${LIST_PAGE}`,
      params.values,
    );
    if (rows.length === 0) return;
    yield rows.map((row) => {
      const fields: Record<string, NeutralValue> = {};
      let body: string | undefined;
      let archived = false;
      for (const [column, raw] of Object.entries(row)) {
        if (column === settings.key) continue;
        const value = decodeValue(dialect, types.get(column), raw);
        if (column === settings.json) {
          if (value !== null && typeof value === 'object' && !Array.isArray(value))
            Object.assign(fields, value);
        } else if (column === settings.body) {
          body = typeof value === 'string' ? value : undefined;
        } else if (column === settings.archived) {
          archived = value === true || value === 1;
        } else {
          fields[fieldOf.get(column) ?? column] = value;
        }
      }
      const id = String(row[settings.key]);
      return { key: id, destId: id, fields: fields as Fields, body, archived };
    });
    if (rows.length < LIST_PAGE) return;
    after = String(rows.at(-1)![settings.key]);
  }
}
