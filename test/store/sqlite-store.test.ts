import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/index.js';
import { describeStoreConformance } from './store-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'keepsync-sqlite-store-'));
const path = join(dir, 'state.db');
const suiteKey = new Uint8Array(32).fill(3);

describeStoreConformance(
  'SQLite',
  async (options = {}) => {
    // A file store always finds or creates a key file beside it; only `:memory:` has no key.
    if (options.secretKey === null) return openSqliteStore({ path: ':memory:' });
    return openSqliteStore({ path, secretKey: options.secretKey ?? suiteKey });
  },
  async () => {
    rmSync(dir, { recursive: true, force: true });
  },
  async (text) => {
    const db = new Database(path);
    try {
      const statement = db.prepare(text);
      if (statement.reader) return statement.all() as Record<string, unknown>[];
      statement.run();
      return [];
    } finally {
      db.close();
    }
  },
);
