import type { SqlValue } from './client.js';
import type { UpsertRow } from './row-plan.js';

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * Rows in the text format of PostgreSQL's COPY: a line per row, tab between columns, `\N` for
 * NULL. Each value is the text its column's input function reads, as the JSON upsert gives
 * it (numbers and booleans in their JSON spelling, bigints as digits, JSON columns as the
 * JSON text they hold).
 */
export function copyText(rows: readonly UpsertRow[]): string {
  const lines: string[] = new Array(rows.length);
  for (let row = 0; row < rows.length; row++) {
    const values = rows[row]!.values;
    let line = '';
    for (let index = 0; index < values.length; index++) {
      if (index > 0) line += '\t';
      line += copyValue(values[index]!);
    }
    lines[row] = line;
  }
  return `${lines.join('\n')}\n`;
}

function copyValue(value: SqlValue): string {
  if (value === null) return '\\N';
  if (typeof value !== 'string') return String(value);
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (char) => ESCAPES[char]!) : value;
}
