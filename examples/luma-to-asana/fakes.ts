import { FakeAsana, FakeLuma } from '../../test/fakes/index.js';

export interface Fakes {
  readonly luma: FakeLuma;
  readonly asana: FakeAsana;
  readonly projectGid: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** A fake Luma calendar with `events` upcoming events (Luma's 200 requests a minute) and a fake Asana project. */
export async function startFakes(events: number): Promise<Fakes> {
  const luma = await new FakeLuma({ keys: ['luma_example'] }).start();
  const asana = await new FakeAsana({ tokens: ['pat_example'] }).start();
  for (let index = 0; index < events; index++) {
    luma.addEvent({
      name: `Community call #${index + 1}`,
      start_at: new Date(Date.now() + (index + 1) * 7 * 86_400_000).toISOString(),
      hosts: [
        {
          api_id: `usr-${index % 3}`,
          name: ['Ada', 'Grace', 'Linus'][index % 3]!,
          email: `host${index % 3}@example.com`,
        },
      ],
    });
  }
  const projectGid = asana.createProject([
    { name: 'Event URL', resource_subtype: 'text' },
    { name: 'Hosts', resource_subtype: 'text' },
    { name: 'Luma event ID', resource_subtype: 'text' },
  ]);
  return {
    luma,
    asana,
    projectGid,
    env: {
      LUMA_API_URL: luma.url,
      LUMA_API_KEY: 'luma_example',
      ASANA_API_URL: asana.basePath,
      ASANA_TOKEN: 'pat_example',
      ASANA_PROJECT_GID: projectGid,
    },
    async close() {
      await luma.close();
      await asana.close();
    },
  };
}
