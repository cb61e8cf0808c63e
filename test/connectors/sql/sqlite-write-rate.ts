/**
 * Write rate of the sql destination into a SQLite file: N records of 10 fields, written in
 * batches of 1000 through the destination contract (creates, then updates).
 *
 *   npx tsx test/connectors/sql/sqlite-write-rate.ts [records]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sql from '../../../src/connectors/sql/index.js';
import type { WriteOp } from '../../../src/sync/index.js';
import { openSession } from './helpers.js';

const count = Number(process.argv[2] ?? 200_000);
const batchSize = 1000;
const dir = mkdtempSync(join(tmpdir(), 'keepsync-sql-rate-'));
const client = sql.sqliteClient(join(dir, 'rate.db'));

function fields(index: number, version: number) {
  return {
    title: `Record number ${index}`,
    description: 'A benchmark record with a sentence of text in it.',
    stars: (index * version) % 5000,
    forks: index % 700,
    language: ['TypeScript', 'Go', 'Rust', 'Python'][index % 4]!,
    archived: index % 10 === 0,
    score: (index % 1000) / 10,
    url: `https://example.com/records/${index}`,
    owner: `owner-${index % 100}`,
    updated: new Date(Date.UTC(2024, 0, 1) + index * 1000 + version),
  };
}

async function measure(label: string, makeOp: (index: number) => WriteOp): Promise<void> {
  const session = await openSession(
    sql.destination({ client, table: 'records', createTable: true }),
  );
  const started = performance.now();
  for (let start = 0; start < count; start += batchSize) {
    const ops = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) =>
      makeOp(start + i),
    );
    const results = await session.write(ops);
    if (results.some((result) => result.status !== 'ok'))
      throw new Error(`${label}: a write failed`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label.padEnd(8)} ${count} records in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} records/s`,
  );
}

try {
  await measure('create', (index) => ({
    kind: 'create',
    key: `rec-${index}`,
    record: { key: `rec-${index}`, fields: fields(index, 1) },
  }));
  await measure('update', (index) => ({
    kind: 'update',
    key: `rec-${index}`,
    destId: `rec-${index}`,
    record: { key: `rec-${index}`, fields: fields(index, 2) },
  }));
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
