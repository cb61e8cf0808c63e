/**
 * Every event of a Luma calendar from three weeks ago on becomes a task of an Asana project
 * (due on the event's day), kept current. Against the real services, set LUMA_API_KEY,
 * ASANA_TOKEN and ASANA_PROJECT_GID; the example's `main.ts` points it at local fakes instead.
 */
import { defineConfig } from 'keepsync';
import * as asana from 'keepsync/connectors/asana';
import * as luma from 'keepsync/connectors/luma';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`Set ${name}`);
  return value;
};

export default defineConfig({
  store: { sqlite: env('KEEPSYNC_STATE', '.keepsync/keepsync.db') },
  pipelines: [
    {
      name: 'calendar-events',
      source: luma.source({
        apiKey: env('LUMA_API_KEY'),
        baseUrl: env('LUMA_API_URL', 'https://public-api.luma.com'),
      }),
      route: {
        // Asana text fields take text: the host names as one line.
        transform: (record) => ({
          ...record,
          fields: {
            ...record.fields,
            hosts: Array.isArray(record.fields.hosts) ? record.fields.hosts.join(', ') : '',
          },
        }),
      },
      destination: asana.destination({
        projectGid: env('ASANA_PROJECT_GID'),
        auth: { token: env('ASANA_TOKEN') },
        basePath: env('ASANA_API_URL', 'https://app.asana.com/api/1.0'),
        // A personal access token cannot keep the key in `external` (OAuth apps only).
        key: { customField: 'Luma event ID' },
        fields: {
          title: 'name',
          startAt: 'due_on',
          url: { customField: 'Event URL' },
          hosts: { customField: 'Hosts' },
        },
      }),
      schedule: { everyMs: 6 * 3_600_000 },
    },
  ],
});
