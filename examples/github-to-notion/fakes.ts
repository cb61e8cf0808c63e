import { FakeGitHub, FakeNotion } from '../../test/fakes/index.js';

export interface Fakes {
  readonly github: FakeGitHub;
  readonly notion: FakeNotion;
  readonly dataSourceId: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** A fake GitHub with an org of `repos` repositories and a fake Notion with an empty database. */
export async function startFakes(repos: number): Promise<Fakes> {
  const github = await new FakeGitHub({ tokens: ['ghp_example'] }).start();
  const notion = await new FakeNotion({
    tokens: ['secret_example'],
    // Notion's documented average, with room for its "some bursts".
    rateLimit: { requestsPerSecond: 3, burst: 3 },
  }).start();
  github.seedOrg('acme', repos);
  const { dataSourceId } = notion.createDatabase('GitHub repositories', {
    Name: { type: 'title' },
    'Repo ID': { type: 'rich_text' },
  });
  return {
    github,
    notion,
    dataSourceId,
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: 'ghp_example',
      GITHUB_ORG: 'acme',
      NOTION_API_URL: notion.url,
      NOTION_TOKEN: 'secret_example',
      NOTION_DATA_SOURCE_ID: dataSourceId,
    },
    async close() {
      await github.close();
      await notion.close();
    },
  };
}
