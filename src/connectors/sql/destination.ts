import { z } from 'zod';
import { describeError, isKeepsyncError, type NeutralValue } from '../../model/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  optionsSchema,
  type WriteResult,
} from '../../sync/index.js';
import { clientSchema } from './client.js';
import {
  type DestinationSettings,
  prepareTable,
  resolveDestination,
  type SqlDestinationOptions,
} from './destination-settings.js';
import { columnTypeFor, Placeholders } from './dialect.js';
import { quoteIdentifier } from './identifiers.js';
import { listRows } from './listing.js';
import { type Row, rowPlanner } from './row-plan.js';
import { addColumns, type ColumnTypes, hasUniqueKey, readColumns } from './schema.js';
import { isRecordSqlError, isTransientSqlError } from './transient.js';
import { statementBuilder } from './write-statements.js';

export type { SqlDestinationOptions } from './destination-settings.js';

const LOOKUP_CHUNK = 500;

const destinationSchema = optionsSchema<SqlDestinationOptions>({
  client: clientSchema,
  table: z.string({ message: 'the table to write to is required' }),
  keyColumn: z.string().optional(),
  columns: z.record(z.string(), z.string()).optional(),
  jsonColumn: z.string().optional(),
  bodyColumn: z.string().optional(),
  archivedColumn: z.string().optional(),
  createTable: z.boolean().optional(),
  name: z.string().optional(),
});

/**
 * Mirrors records into a SQLite or PostgreSQL table, one row per key (the destination id).
 * Each write() is one transaction of batched upserts that set only the columns a record
 * carries, so an update is a patch and create-only columns keep their values.
 */
export function destination(options: SqlDestinationOptions): Destination {
  checkOptions(destinationSchema, options ?? {}, 'sql.destination');
  const settings = resolveDestination(options);
  return {
    name: settings.name,
    async open() {
      const columns = await prepareTable(settings);
      const copies =
        ((await settings.client.supportsCopy?.()) ?? false) &&
        (await hasUniqueKey(settings.client, settings.table, settings.key));
      return createSession(settings, columns, copies);
    },
    async truncate() {
      if ((await readColumns(settings.client, settings.table)) === null) return;
      await settings.client.query(`DELETE FROM ${settings.table.sql}`);
    },
    list: () => listRows(settings),
  };
}

function createSession(
  settings: DestinationSettings,
  initialColumns: ColumnTypes,
  copies: boolean,
): DestinationSession {
  const { client, dialect, table } = settings;
  let columns = initialColumns;
  // Creates go in by COPY until one fails (a row that exists already, or anything else):
  // from then on this session upserts them, which reports errors as it always did.
  let copyCreates = copies;
  const plan = rowPlanner(settings, () => columns);
  const statementsOf = statementBuilder(settings, () => columns);

  /** With createTable, adds a column for every field this batch brings that has none yet. */
  async function addMissingColumns(rows: readonly Row[]): Promise<void> {
    if (!settings.createTable) return;
    const samples = new Map<string, NeutralValue>();
    for (const row of rows) {
      if (row.kind !== 'upsert') continue;
      row.columns.forEach((column, index) => {
        const current = samples.get(column);
        if (!columns.has(column) && (current === undefined || current === null)) {
          samples.set(column, row.neutral[index]!);
        }
      });
    }
    if (samples.size === 0) return;
    const added = [...samples].map(([name, sample]) => ({
      name,
      definition: columnTypeFor(dialect, sample),
    }));
    await addColumns(client, table, added);
    columns = (await readColumns(client, table)) ?? columns;
  }

  async function runRows(rows: readonly Row[]): Promise<void> {
    if (copyCreates) {
      const statements = statementsOf(rows, { copyCreates });
      if (statements.some((statement) => statement.copyData !== undefined)) {
        try {
          await client.transaction(statements);
          return;
        } catch {
          copyCreates = false;
        }
      }
    }
    await client.transaction(statementsOf(rows));
  }

  function failure(row: Row, error: unknown): WriteResult {
    const message = describeError(error);
    if (isTransientSqlError(error)) return { status: 'retryable', error: message };
    const column = (error as { column?: unknown }).column;
    const where = typeof column === 'string' ? ` (column \`${column}\`)` : '';
    const hint = /ON CONFLICT/i.test(message)
      ? `; give \`${settings.key}\` a PRIMARY KEY or UNIQUE constraint`
      : '';
    // The table's own problem names the table, not the record that happened to meet it.
    return isRecordSqlError(error)
      ? {
          status: 'rejected',
          error: `table ${table.label}, record ${row.key}: ${message}${where}${hint}`,
        }
      : { status: 'unavailable', error: `table ${table.label}: ${message}${where}${hint}` };
  }

  return {
    // Every create is an INSERT ... ON CONFLICT (key) DO UPDATE of the columns it carries.
    createsUpsertByKey: true,

    async lookup(keys) {
      const found = new Map<string, string>();
      const key = quoteIdentifier(settings.key);
      for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
        const params = new Placeholders(dialect);
        const list = keys.slice(start, start + LOOKUP_CHUNK).map((item) => params.add(item));
        const rows = await client.query(
          `SELECT ${key} AS k FROM ${table.sql} WHERE ${key} IN (${list.join(', ')})`,
          params.values,
        );
        for (const row of rows) found.set(String(row.k), String(row.k));
      }
      return found;
    },

    async write(ops) {
      const results: WriteResult[] = new Array(ops.length);
      const planned: Array<{ index: number; row: Row }> = [];
      ops.forEach((op, index) => {
        try {
          planned.push({ index, row: plan(op) });
        } catch (error) {
          if (!isKeepsyncError(error)) throw error;
          results[index] = { status: 'rejected', error: error.message };
        }
      });
      const succeed = (index: number) => {
        const op = ops[index]!;
        results[index] = { status: 'ok', destId: op.kind === 'create' ? op.key : op.destId };
      };
      if (planned.length === 0) return results;
      await addMissingColumns(planned.map(({ row }) => row));
      try {
        await runRows(planned.map(({ row }) => row));
        for (const { index } of planned) succeed(index);
        return results;
      } catch (error) {
        // Only an error about a row's values is worth finding the row for.
        if (!isRecordSqlError(error) || planned.length === 1) {
          for (const { index, row } of planned) results[index] = failure(row, error);
          return results;
        }
      }
      // The batch was rolled back by one bad row: write rows one by one to find it.
      for (const { index, row } of planned) {
        try {
          await runRows([row]);
          succeed(index);
        } catch (error) {
          results[index] = failure(row, error);
        }
      }
      return results;
    },

    async close() {},
  };
}
