import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeGitHub, FakeNotion } from '../fakes/index.js';
import { runWorker } from '../support/worker.js';

const REPOS = 600;
const TRIALS = 6;
const worker = join(import.meta.dirname, 'github-notion-worker.ts');

describe('GitHub -> Notion crash safety', () => {
  it(`leaves one Notion page per repository after ${TRIALS} SIGKILLs mid-run and a final run`, async () => {
    const githubFake = await new FakeGitHub().start();
    const token = 'secret_crash';
    const notionFake = await new FakeNotion({ tokens: [token] }).start();
    try {
      githubFake.seedOrg('acme', REPOS);
      const { dataSourceId } = notionFake.createDatabase('Repositories', {
        Name: { type: 'title' },
        Stars: { type: 'number' },
        'Repo ID': { type: 'rich_text' },
      });
      const dir = mkdtempSync(join(tmpdir(), 'keepsync-gh-notion-'));
      const args = [join(dir, 'state.db'), githubFake.url, notionFake.url, dataSourceId, token];
      let kills = 0;
      for (let trial = 0; trial < TRIALS; trial++) {
        const before = notionFake.pagesOf(dataSourceId).length;
        // Kill while pages are being written: after startup, before the run can finish.
        const outcome = await runWorker(worker, args, 900 + Math.floor(Math.random() * 600));
        if (outcome.killed) kills++;
        if (notionFake.pagesOf(dataSourceId).length === REPOS) break;
        expect(notionFake.pagesOf(dataSourceId).length).toBeGreaterThanOrEqual(before);
      }
      const final = await runWorker(worker, args, null);
      expect(final.stdout).toContain('DONE succeeded');
      // Several kills must land mid-run, or the test proves nothing; the run is paced for this.
      expect(kills).toBeGreaterThanOrEqual(3);

      const keys = notionFake
        .pagesOf(dataSourceId)
        .map((page) => FakeNotion.plain(page.properties['Repo ID']) as string);
      expect(keys).toHaveLength(REPOS);
      expect(new Set(keys).size).toBe(REPOS);
      const sample = notionFake
        .pagesOf(dataSourceId)
        .find((page) => FakeNotion.plain(page.properties['Repo ID']) === '1123')!;
      expect(FakeNotion.plain(sample.properties.Name)).toBe('repo-123');

      // A run after everything is synced reads one GitHub page per listing (update time, push
      // time) and writes nothing to Notion.
      notionFake.server.resetCounts();
      githubFake.server.resetCounts();
      const idle = await runWorker(worker, args, null);
      expect(idle.stdout).toContain('"created":0');
      expect(notionFake.server.writes([/\/query$/])).toBe(0);
      expect(githubFake.server.requests).toHaveLength(2);
    } finally {
      await githubFake.close();
      await notionFake.close();
    }
  }, 180_000);
});
