import type { SyncRecord } from '../../src/model/index.js';
import { openSqliteStore, type Store } from '../../src/store/index.js';

export function makeRecords(count: number, version = 1, prefix = 'r'): SyncRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `${prefix}${index}`,
    fields: { title: `Record ${index}`, n: index, version },
  }));
}

export function memoryStore(): Store {
  return openSqliteStore({ path: ':memory:', secretKey: new Uint8Array(32).fill(7) });
}

export function recordingLogger() {
  const warnings: string[] = [];
  return {
    warnings,
    logger: {
      info() {},
      warn(_details: object, message: string) {
        warnings.push(message);
      },
      error() {},
    },
  };
}
