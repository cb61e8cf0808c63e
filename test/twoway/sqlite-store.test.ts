import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/index.js';
import { describeTwoWayStoreConformance } from './store-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'keepsync-twoway-store-'));

describeTwoWayStoreConformance(
  'SQLite',
  async () =>
    openSqliteStore({ path: join(dir, 'state.db'), secretKey: new Uint8Array(32).fill(5) }),
  async () => rmSync(dir, { recursive: true, force: true }),
);
