/**
 * One command, end to end: start fake GitHub and Notion services, run the pipeline once
 * through the keepsync CLI, run it again (nothing changed: no writes), change two
 * repositories and run a third time, print what each run did, stop the fakes.
 *
 *   node --import tsx examples/github-to-notion/main.ts
 */
import { FakeNotion, type FakePage } from '../../test/fakes/index.js';
import { runExample } from '../support/run-example.js';
import { startFakes } from './fakes.js';

const REPOS = 24;
let sample: FakePage | undefined;

await runExample({
  dir: import.meta.dirname,
  start: () => startFakes(REPOS),
  requests: (fakes) =>
    `GitHub ${fakes.github.server.requests.length}, Notion ${fakes.notion.server.count()} ` +
    `(${fakes.notion.server.writes([/\/query$/])} writes)`,
  resetCounts: (fakes) => {
    fakes.github.server.resetCounts();
    fakes.notion.server.resetCounts();
  },
  steps: [
    {
      title: `First run: ${REPOS} repositories of acme -> Notion (3 requests/s)`,
      report: (fakes) => {
        const pages = fakes.notion.pagesOf(fakes.dataSourceId);
        sample = pages.find((page) => FakeNotion.plain(page.properties['Repo ID']) === '1003')!;
        return (
          `${pages.length} pages; e.g. ${FakeNotion.plain(sample.properties.Name)}: ` +
          `${FakeNotion.plain(sample.properties.Stars)} stars, ${FakeNotion.plain(sample.properties.Language)}`
        );
      },
    },
    { title: 'Second run, nothing changed' },
    {
      title: 'Two repositories change on GitHub',
      change: (fakes) => {
        const now = new Date(Date.UTC(2026, 5, 1));
        fakes.github.touch(1003, { stargazers_count: 4242 }, now);
        fakes.github.touch(1007, { description: 'Rewritten in Rust' }, now);
      },
      report: () => `repo-3 now has ${FakeNotion.plain(sample!.properties.Stars)} stars in Notion`,
    },
  ],
});
