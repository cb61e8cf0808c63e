import { createRequire } from 'node:module';
import type TableType from 'cli-table3';

// cli-table3 loads on the first table, not at start-up (`keepsync --help` needs none).
const require = createRequire(import.meta.url);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A readable table on stdout; colours only when stdout is a terminal. */
export function printTable(
  head: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): void {
  const Table: typeof TableType = require('cli-table3');
  const table = new Table({
    head: [...head],
    style: {
      head: process.stdout.isTTY ? ['cyan'] : [],
      border: process.stdout.isTTY ? ['grey'] : [],
    },
  });
  for (const row of rows) table.push(row.map(String));
  process.stdout.write(`${table.toString()}\n`);
}

export function formatTime(date: Date | null | undefined): string {
  if (!date) return '-';
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
