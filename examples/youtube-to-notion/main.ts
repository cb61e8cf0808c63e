/**
 * One command, end to end: start a fake YouTube channel and a fake Notion, run the pipeline
 * once through the keepsync CLI, run it again (nothing changed: reads only, no writes), let a
 * video gain views and run a third time, print what each run did, stop the fakes.
 *
 *   node --import tsx examples/youtube-to-notion/main.ts
 */
import { FakeNotion } from '../../test/fakes/index.js';
import { runExample } from '../support/run-example.js';
import { startFakes } from './fakes.js';

const VIDEOS = 30; // one a day: the 20 of the last 21 days are inside the lookback window

await runExample({
  dir: import.meta.dirname,
  start: () => startFakes(VIDEOS),
  requests: (fakes) =>
    `YouTube ${fakes.youtube.server.requests.length} (${fakes.youtube.quotaUsed.get('AIza_example') ?? 0} quota units so far), ` +
    `Notion ${fakes.notion.server.count()} (${fakes.notion.server.writes([/\/query$/])} writes)`,
  resetCounts: (fakes) => {
    fakes.youtube.server.resetCounts();
    fakes.notion.server.resetCounts();
  },
  steps: [
    {
      title: `First run: the last 21 days of a channel with ${VIDEOS} videos -> Notion`,
      report: (fakes) =>
        `${fakes.notion.pagesOf(fakes.dataSourceId).length} pages in the content calendar`,
    },
    { title: 'Second run, nothing changed' },
    {
      title: 'Episode 1 gains views',
      change: (fakes) => {
        const newest = [...fakes.youtube.videos.values()].find(
          (video) => video.title === 'Episode 1',
        )!;
        newest.viewCount = 12_345;
      },
      report: (fakes) => {
        const page = fakes.notion
          .pagesOf(fakes.dataSourceId)
          .find((row) => FakeNotion.plain(row.properties.Name) === 'Episode 1')!;
        return `Episode 1 now shows ${FakeNotion.plain(page.properties.Reach)} views in Notion`;
      },
    },
  ],
});
