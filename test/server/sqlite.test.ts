import { sqliteStore } from './helpers.js';
import { describeSyncProtocol } from './protocol-suite.js';

describeSyncProtocol('SQLite', async () => sqliteStore());
