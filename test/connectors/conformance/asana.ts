import * as asana from '../../../src/connectors/asana/index.js';
import type { Destination } from '../../../src/sync/index.js';
import { FakeAsana } from '../../fakes/index.js';
import type { DestinationHarness, StoredObject } from './harness.js';

let tokens = 0;

function asanaDestination(basePath: string, token: string, projectGid: string, rps: number) {
  return asana.destination({
    projectGid,
    auth: { token, type: 'oauth' },
    basePath,
    fields: { title: 'name', n: { customField: 'N' } },
    requestsPerSecond: rps,
  });
}

/** For the SIGKILL worker: `[basePath, token, projectGid]`. */
export function workerDestination([basePath, token, project]: readonly string[]): Destination {
  return asanaDestination(basePath!, token!, project!, 120);
}

export const asanaDestinationHarness: DestinationHarness = {
  connector: 'asana',
  gaps: {},
  workerModule: new URL('./asana.ts', import.meta.url).pathname,
  async start() {
    const token = `pat_conformance_${process.pid}_${++tokens}`;
    const fake = await new FakeAsana({ oauthTokens: [token] }).start();
    const project = fake.createProject([{ name: 'N', resource_subtype: 'number' }]);
    return {
      server: fake.server,
      workerArgs: [fake.basePath, token, project],
      destination: () => asanaDestination(fake.basePath, token, project, 500),
      async objects() {
        const found = new Map<string, StoredObject[]>();
        for (const task of fake.tasksOf(project)) {
          const key = task.external?.gid ?? '';
          found.set(key, [
            ...(found.get(key) ?? []),
            { title: task.name, archived: task.completed },
          ]);
        }
        return found;
      },
      revoke: () => fake.revokeToken(token),
      createPath: { method: 'POST', path: /\/tasks$/ },
      // Asana has no archive; the destination marks a task complete.
      deletes: 'archive',
      close: () => fake.close(),
    };
  },
};
