/**
 * One command, end to end: start a fake Contentful space and a fake Notion, run the marketing
 * calendar once through the keepsync CLI, run it again (nothing changed: one Sync API request,
 * no writes), move one campaign's launch and unpublish another, run a third time, print what
 * each run did, stop the fakes.
 *
 *   node --import tsx examples/contentful-to-notion/main.ts
 */
import { FakeNotion } from '../../test/fakes/index.js';
import { runExample } from '../support/run-example.js';
import { campaignFields, startFakes } from './fakes.js';

const CAMPAIGNS = 6;

await runExample({
  dir: import.meta.dirname,
  start: () => startFakes(CAMPAIGNS),
  requests: (fakes) =>
    `Contentful ${fakes.contentful.server.requests.length}, ` +
    `Notion ${fakes.notion.server.count()} (${fakes.notion.server.writes([/\/query$/])} writes)`,
  resetCounts: (fakes) => {
    fakes.contentful.server.resetCounts();
    fakes.notion.server.resetCounts();
  },
  steps: [
    {
      title: `First run: ${CAMPAIGNS} published campaigns -> the Notion marketing calendar`,
      report: (fakes) => `${fakes.notion.pagesOf(fakes.dataSourceId).length} rows in the calendar`,
    },
    { title: 'Second run, nothing changed' },
    {
      title: 'Campaign 2 moves to March; campaign 6 is unpublished',
      change: (fakes) => {
        fakes.contentful.publish('campaign-2', 'campaign', {
          ...campaignFields(1),
          launchDate: { 'en-US': '2027-03-01' },
        });
        fakes.contentful.unpublish('campaign-6');
      },
      report: (fakes) => {
        const rows = fakes.notion.pagesOf(fakes.dataSourceId);
        const moved = rows.find((row) => FakeNotion.plain(row.properties.Name) === 'Campaign 2')!;
        return `Campaign 2 now launches ${FakeNotion.plain(moved.properties.Launch)}; ${rows.length} rows left (campaign 6 archived)`;
      },
    },
  ],
});
