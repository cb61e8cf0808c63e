/**
 * The demo `npm start` runs: 5,000 "repositories" from an in-memory source mirrored into a
 * table of a local SQLite file, with keepsync's own state in another SQLite file.
 * Run it twice: the second run writes nothing, because nothing changed.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as sql from 'keepsync/connectors/sql';

const languages = ['TypeScript', 'Go', 'Rust', 'Python', 'Java'];

export default defineConfig({
  store: { sqlite: '.keepsync/keepsync.db' },
  pipelines: [
    {
      name: 'repos',
      source: memory.source({
        units: {
          'org:acme': {
            count: 5_000,
            record: (index) => ({
              key: String(100_000 + index),
              fields: {
                name: `repo-${index}`,
                fullName: `acme/repo-${index}`,
                language: languages[index % languages.length]!,
                stars: (index * 37) % 1_000,
                archived: index % 25 === 0,
                pushedAt: new Date(Date.UTC(2026, 0, 1) + index * 60_000),
              },
            }),
          },
        },
        pageSize: 500,
      }),
      destination: sql.destination({
        client: sql.sqliteClient(fileURLToPath(new URL('demo.db', import.meta.url))),
        table: 'repos',
        createTable: true,
      }),
      route: { createOnly: ['archived'] },
      schedule: { everyMs: 60_000 },
    },
  ],
});
