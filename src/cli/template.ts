/** What `keepsync init` writes: a working pipeline a user can edit. */
export const CONFIG_TEMPLATE = `import { defineConfig } from 'keepsync';
import * as files from 'keepsync/connectors/files';
import * as memory from 'keepsync/connectors/memory';

export default defineConfig({
  // The embedded default: one SQLite file holds cursors, links, runs and dead letters.
  store: { sqlite: '.keepsync/keepsync.db' },
  pipelines: [
    {
      name: 'contacts',
      source: memory.source({
        units: {
          all: [
            { key: 'c1', fields: { name: 'Ada Lovelace', email: 'ada@example.com' } },
            { key: 'c2', fields: { name: 'Alan Turing', email: 'alan@example.com' } },
          ],
        },
      }),
      destination: files.destination({ dir: 'out/contacts' }),
      schedule: { everyMs: 60_000 },
    },
  ],
});
`;
