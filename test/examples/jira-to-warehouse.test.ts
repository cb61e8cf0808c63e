import { afterAll, describe, expect, it } from 'vitest';
import { STORY_POINTS, startJira } from '../../examples/jira-to-warehouse/fakes.js';
import { warehousePipeline } from '../../examples/jira-to-warehouse/pipeline.js';
import * as sql from '../../src/connectors/sql/index.js';
import { openPostgresStore, runPipeline } from '../../src/index.js';
import { freshDatabase } from '../support/postgres.js';

const database = freshDatabase('jira_warehouse');

describe('Jira -> PostgreSQL warehouse example', () => {
  afterAll(() => database.drop());

  it('upserts every issue once, reads nothing new an hour later, and updates the edited rows', async () => {
    const jira = await startJira(150);
    const url = await database.url();
    const db = await database.pool();
    await db.query('CREATE SCHEMA IF NOT EXISTS warehouse');
    const store = await openPostgresStore({
      connectionString: url,
      secretKey: new Uint8Array(32).fill(2),
    });
    const warehouseClient = sql.postgresClient(url);
    try {
      const pipeline = warehousePipeline({
        jiraUrl: jira.url,
        email: 'data@example.com',
        apiToken: 'jira_example',
        project: 'PLATFORM',
        storyPointsField: STORY_POINTS,
        warehouse: warehouseClient,
      });
      const run = () => runPipeline({ store, pipeline, unit: 'project:PLATFORM' });
      expect((await run()).stats).toMatchObject({ created: 150, failed: 0 });
      expect((await run()).stats).toMatchObject({ read: 0, created: 0, updated: 0 });
      const [first] = [...jira.issues.values()];
      jira.editIssue(first!.id, { summary: 'Renamed', custom: { [STORY_POINTS]: 21 } });
      expect((await run()).stats).toMatchObject({ read: 1, updated: 1 });

      const { rows } = await db.query(
        'SELECT issue_key, summary, story_points, labels FROM warehouse.jira_issues WHERE issue_id = $1',
        [first!.id],
      );
      expect(rows).toEqual([
        { issue_key: 'PLATFORM-1', summary: 'Renamed', story_points: 21, labels: 'backend' },
      ]);
      const count = await db.query('SELECT count(*)::int AS n FROM warehouse.jira_issues');
      expect(count.rows[0].n).toBe(150);
    } finally {
      await warehouseClient.close();
      await store.close();
      await jira.close();
    }
  }, 60_000);
});
