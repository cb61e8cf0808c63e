import { type NeutralValue, RecordError, type SyncRecord, sameNames } from '../../model/index.js';
import type { WriteOp } from '../../sync/index.js';
import type { SqlValue } from './client.js';
import type { DestinationSettings } from './destination-settings.js';
import { specialColumns } from './destination-settings.js';
import { booleanValue } from './dialect.js';
import { encodeJson, encodeValue } from './encode.js';
import { isIdentifier } from './identifiers.js';
import type { ColumnTypes } from './schema.js';

/** One row to upsert: its columns (fields sorted, then keepsync's own) and their values. */
export interface UpsertRow {
  readonly kind: 'upsert';
  readonly key: string;
  readonly columns: readonly string[];
  readonly values: readonly SqlValue[];
  /** The neutral values behind `values`, for typing new columns. */
  readonly neutral: readonly NeutralValue[];
  readonly signature: string;
  /** Planned from a create: no row of this key is expected to exist yet. */
  readonly created: boolean;
}

export interface RemoveRow {
  readonly kind: 'archive' | 'delete';
  readonly key: string;
  readonly signature: string;
}

export type Row = UpsertRow | RemoveRow;

/** Field names in column order, and the row's columns, for records of one set of fields. */
interface Shape {
  readonly fields: readonly string[];
  readonly columns: readonly string[];
  readonly signature: string;
}

/**
 * Turns write ops into table rows: which column each field goes to, encoded for the dialect.
 * `columns()` is the table's columns as last read (they grow with createTable).
 */
export function rowPlanner(
  settings: DestinationSettings,
  columns: () => ColumnTypes,
): (op: WriteOp) => Row {
  const { dialect, table } = settings;
  const roles = specialColumns(settings);
  // Records of one source mostly share their field names in one order: the columns, their
  // order and the checks depend only on those names, so they are worked out once per shape.
  let shapes = new Map<string, Shape | null>();
  let shapesOf: ColumnTypes | undefined;
  // The last record's names and shape, checked before the map (see `sameNames`).
  let lastNames: readonly string[] = [];
  let lastShape: Shape | null | undefined;

  function shapeOf(fields: SyncRecord['fields']): Shape | null {
    if (shapesOf !== columns()) {
      shapes = new Map();
      shapesOf = columns();
      lastShape = undefined;
    }
    const names = Object.keys(fields);
    if (lastShape !== undefined && sameNames(names, lastNames)) return lastShape;
    const id = names.join('\u0000');
    let shape = shapes.get(id);
    if (shape === undefined) {
      shape = plainShape(names);
      if (shapes.size >= 64) shapes.clear();
      shapes.set(id, shape);
    }
    lastNames = names;
    lastShape = shape;
    return shape;
  }

  /** The shape of records whose fields all have columns of their own; null otherwise. */
  function plainShape(names: readonly string[]): Shape | null {
    const named: Array<{ column: string; field: string }> = [];
    const used = new Set<string>();
    for (const field of names) {
      const column = settings.columns.get(field) ?? field;
      if (roles.has(column) || used.has(column)) return null;
      if (!(columns().has(column) || (settings.createTable && isIdentifier(column)))) return null;
      used.add(column);
      named.push({ column, field });
    }
    named.sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
    const rowColumns = [settings.key, ...named.map(({ column }) => column)];
    if (settings.archived) rowColumns.push(settings.archived);
    return {
      fields: named.map(({ field }) => field),
      columns: rowColumns,
      signature: `upsert\u0000${rowColumns.join('\u0000')}`,
    };
  }

  function planByShape(
    rowKey: string,
    record: SyncRecord,
    shape: Shape,
    created: boolean,
  ): UpsertRow | null {
    const values: SqlValue[] = [rowKey];
    const neutral: NeutralValue[] = [rowKey];
    for (const field of shape.fields) {
      const value = record.fields[field];
      if (value === undefined) return null;
      values.push(encodeValue(dialect, value, rowKey, field));
      neutral.push(value);
    }
    if (settings.archived) {
      values.push(booleanValue(dialect, false));
      neutral.push(false);
    }
    return {
      kind: 'upsert',
      key: rowKey,
      columns: shape.columns,
      values,
      neutral,
      signature: shape.signature,
      created,
    };
  }

  function planUpsert(rowKey: string, record: SyncRecord, created: boolean): UpsertRow {
    // A body goes to its own column, after the fields: the general path below handles it.
    const shape = settings.body && record.body !== undefined ? null : shapeOf(record.fields);
    const quick = shape && planByShape(rowKey, record, shape, created);
    return quick ?? planAny(rowKey, record, created);
  }

  function planAny(rowKey: string, record: SyncRecord, created: boolean): UpsertRow {
    const named: Array<{ column: string; value: NeutralValue; field: string }> = [];
    const used = new Map<string, string>();
    const extra: Record<string, NeutralValue> = {};
    let hasExtra = false;
    for (const [field, value] of Object.entries(record.fields)) {
      if (value === undefined) continue;
      const column = settings.columns.get(field) ?? field;
      const role = roles.get(column);
      if (role === 'key' && typeof value === 'string' && value === rowKey) continue;
      if (role !== undefined) {
        throw new RecordError(
          `record ${rowKey}: field \`${field}\` would overwrite the ${role} column \`${column}\` of table ${table.label}; map it to another column with \`columns\``,
          { key: rowKey, field },
        );
      }
      if (columns().has(column) || (settings.createTable && isIdentifier(column))) {
        const other = used.get(column);
        if (other !== undefined) {
          throw new RecordError(
            `record ${rowKey}: fields \`${other}\` and \`${field}\` both map to column \`${column}\` of table ${table.label}`,
            { key: rowKey, field },
          );
        }
        used.set(column, field);
        named.push({ column, value, field });
      } else if (settings.json) {
        extra[field] = value;
        hasExtra = true;
      } else {
        const why = isIdentifier(column) ? '' : ' (its name is not a valid column name)';
        throw new RecordError(
          `record ${rowKey}: field \`${field}\` has no column in table ${table.label}${why}; add the column, map the field with \`columns\`, or set \`jsonColumn\``,
          { key: rowKey, field },
        );
      }
    }
    named.sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
    const rowColumns = [settings.key];
    const values: SqlValue[] = [rowKey];
    const neutral: NeutralValue[] = [rowKey];
    for (const { column, value, field } of named) {
      rowColumns.push(column);
      values.push(encodeValue(dialect, value, rowKey, field));
      neutral.push(value);
    }
    if (hasExtra && settings.json) {
      rowColumns.push(settings.json);
      values.push(encodeJson(extra, rowKey));
      neutral.push(extra);
    }
    if (settings.body && record.body !== undefined) {
      rowColumns.push(settings.body);
      values.push(record.body);
      neutral.push(record.body);
    }
    if (settings.archived) {
      rowColumns.push(settings.archived);
      values.push(booleanValue(dialect, false));
      neutral.push(false);
    }
    return {
      kind: 'upsert',
      key: rowKey,
      columns: rowColumns,
      values,
      neutral,
      signature: `upsert\u0000${rowColumns.join('\u0000')}`,
      created,
    };
  }

  return function plan(op: WriteOp): Row {
    switch (op.kind) {
      case 'create':
        return planUpsert(op.key, op.record, true);
      case 'update':
        return planUpsert(op.destId, op.record, false);
      case 'archive':
        if (!settings.archived) {
          throw new RecordError(
            `record ${op.key}: table ${table.label} has no archived column; set \`archivedColumn\` to archive rows`,
            { key: op.key },
          );
        }
        return { kind: 'archive', key: op.destId, signature: 'archive' };
      case 'delete':
        return { kind: 'delete', key: op.destId, signature: 'delete' };
    }
  };
}
