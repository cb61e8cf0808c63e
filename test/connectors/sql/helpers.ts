import type { SqlClient, SqlValue } from '../../../src/connectors/sql/index.js';
import type { Cursor } from '../../../src/model/index.js';
import type {
  ConnectorTelemetry,
  Destination,
  DestinationSession,
  Source,
  SourcePage,
  WriteOp,
} from '../../../src/sync/index.js';

export const telemetry: ConnectorTelemetry = { retried() {}, waitedForRateLimit() {} };

export function openSession(destination: Destination): Promise<DestinationSession> {
  return destination.open({ pipeline: 'test', unit: 'unit', telemetry });
}

export async function readPages(
  source: Source,
  unit: string,
  options: { cursor?: Cursor; keys?: readonly string[] } = {},
): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  const read = source.read(unit, { cursor: options.cursor ?? null, keys: options.keys, telemetry });
  for await (const page of read) pages.push(page);
  return pages;
}

export function keysOf(pages: readonly SourcePage[]): string[] {
  return pages.flatMap((page) => page.records.map((record) => record.key));
}

/** Runs SQL written with `?` placeholders on either dialect. */
export function run(client: SqlClient, sql: string, params: readonly SqlValue[] = []) {
  let position = 0;
  const text = client.dialect === 'postgres' ? sql.replace(/\?/g, () => `$${++position}`) : sql;
  return client.query(text, params);
}

export function create(key: string, fields: Record<string, unknown>, body?: string): WriteOp {
  return { kind: 'create', key, record: { key, fields: fields as never, body } };
}

export function update(key: string, fields: Record<string, unknown>, body?: string): WriteOp {
  return { kind: 'update', key, destId: key, record: { key, fields: fields as never, body } };
}
