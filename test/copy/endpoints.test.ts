import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CopyOptions,
  copyResources,
  httpEndpoint,
  stdioEndpoint,
} from '../../src/copy/index.js';
import { HalServer } from './hal-server.js';
import {
  byKey,
  captureStdout,
  collect,
  fixture,
  sortedMap,
  stdinOf,
  tempDir,
  writeDirectory,
  yamlStream,
} from './helpers.js';

const servers: HalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(): Promise<HalServer> {
  const started = await HalServer.start();
  servers.push(started);
  return started;
}

type Origin = { name: string; setup: () => Promise<Partial<CopyOptions> & { origin: string }> };
type Destination = {
  name: string;
  setup: () => Promise<{
    destination: string;
    options?: Partial<CopyOptions>;
    read: () => Promise<Map<string, unknown>>;
  }>;
};

const origins: Origin[] = [
  {
    name: 'HTTP',
    async setup() {
      const origin = await server();
      origin.seed(fixture());
      return { origin: `${origin.url}/api` };
    },
  },
  {
    name: 'YAML file',
    async setup() {
      const path = join(tempDir(), 'in.yaml');
      writeFileSync(path, yamlStream(fixture()));
      return { origin: path };
    },
  },
  {
    name: 'JSON file',
    async setup() {
      const path = join(tempDir(), 'in.json');
      writeFileSync(path, JSON.stringify(fixture(), null, 2));
      return { origin: path };
    },
  },
  {
    name: 'directory',
    async setup() {
      const dir = join(tempDir(), 'in');
      writeDirectory(dir, fixture());
      return { origin: dir };
    },
  },
  {
    name: 'stdin',
    async setup() {
      return { origin: '-', stdin: stdinOf(yamlStream(fixture())) };
    },
  },
];

const destinations: Destination[] = [
  {
    name: 'HTTP',
    async setup() {
      const target = await server();
      return {
        destination: `${target.url}/api`,
        read: () => collect(httpEndpoint(`${target.url}/api`, { follow: ['*'] })),
      };
    },
  },
  {
    name: 'YAML file',
    async setup() {
      const path = join(tempDir(), 'out', 'all.yaml');
      return { destination: path, read: () => collect(path) };
    },
  },
  {
    name: 'JSON file',
    async setup() {
      const path = join(tempDir(), 'out', 'all.json');
      return { destination: path, read: () => collect(path) };
    },
  },
  {
    name: 'directory',
    async setup() {
      const dir = join(tempDir(), 'out');
      return { destination: dir, read: () => collect(dir) };
    },
  },
  {
    name: 'stdout',
    async setup() {
      const stdout = captureStdout();
      return {
        destination: '-',
        options: { stdout: stdout.stream },
        read: () => collect(stdioEndpoint('yaml', { stdin: stdinOf(stdout.text()) })),
      };
    },
  },
];

describe('keepsync copy between every pair of endpoints', () => {
  for (const from of origins) {
    for (const to of destinations) {
      it(`copies every resource from ${from.name} to ${to.name}`, async () => {
        const { origin, ...originOptions } = await from.setup();
        const target = await to.setup();
        const summary = await copyResources({
          origins: [origin],
          destination: target.destination,
          http: { follow: ['*'] },
          ...originOptions,
          ...target.options,
        });
        expect(summary.failed).toEqual([]);
        expect(summary.read).toBe(6);
        expect(summary.creates).toHaveLength(6);
        expect(sortedMap(await target.read())).toEqual(sortedMap(byKey(fixture())));
      });
    }
  }
});
