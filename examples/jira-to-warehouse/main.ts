/**
 * One command, end to end: a fake Jira site and a throwaway PostgreSQL warehouse; the hourly
 * job runs three times (first sync, nothing changed, three issues edited) and prints what each
 * run did and what the warehouse holds.
 *
 *   node --import tsx examples/jira-to-warehouse/main.ts
 */

import { openPostgresStore, runPipeline } from 'keepsync';
import * as sql from 'keepsync/connectors/sql';
import pg from 'pg';
import { STORY_POINTS, startJira, startWarehouse } from './fakes.js';
import { warehousePipeline } from './pipeline.js';

const ISSUES = 300;

async function main(): Promise<void> {
  const jira = await startJira(ISSUES);
  const warehouse = await startWarehouse();
  const store = await openPostgresStore({
    connectionString: warehouse.url,
    secretKey: new Uint8Array(32).fill(1),
  });
  const warehouseClient = sql.postgresClient(warehouse.url);
  const db = new pg.Client({ connectionString: warehouse.url });
  await db.connect();
  try {
    // The warehouse's schema is the DBA's; keepsync creates only the table in it.
    await db.query('CREATE SCHEMA IF NOT EXISTS warehouse');
    const pipeline = warehousePipeline({
      jiraUrl: jira.url,
      email: 'data@example.com',
      apiToken: 'jira_example',
      project: 'PLATFORM',
      storyPointsField: STORY_POINTS,
      warehouse: warehouseClient,
    });
    const run = async (title: string) => {
      jira.server.resetCounts();
      const { status, error, stats } = await runPipeline({
        store,
        pipeline,
        unit: 'project:PLATFORM',
      });
      if (status !== 'succeeded') throw new Error(`the run ${status}: ${error}`);
      console.log(
        `${title}\n   ${stats.read} read, ${stats.created} inserted, ${stats.updated} updated, ` +
          `${stats.unchanged} unchanged; Jira requests: ${jira.server.requests.length}`,
      );
    };
    await run(`1. First sync: ${ISSUES} issues of PLATFORM -> warehouse.jira_issues`);
    await run('2. An hour later, nothing changed');
    for (const id of [...jira.issues.keys()].slice(0, 3)) {
      jira.editIssue(id, { status: 'Done', custom: { [STORY_POINTS]: 13 } });
    }
    await run('3. Three issues moved to Done');

    const { rows } = await db.query(
      `SELECT status, count(*)::int AS issues, sum(story_points)::int AS points
         FROM warehouse.jira_issues GROUP BY status ORDER BY status`,
    );
    console.log('   warehouse.jira_issues by status:');
    for (const row of rows)
      console.log(`     ${row.status.padEnd(12)} ${row.issues} issues, ${row.points} points`);
  } finally {
    await db.end().catch(() => {});
    await warehouseClient.close();
    await store.close();
    await warehouse.stop();
    await jira.close();
  }
}

await main();
process.exit(0);
