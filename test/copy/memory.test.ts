import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { describe, expect, it } from 'vitest';
import {
  type CopyResource,
  type CopyTarget,
  copyResources,
  directoryEndpoint,
  fileEndpoint,
  resourceSchema,
} from '../../src/copy/index.js';
import { tempDir } from './helpers.js';

const context = { schema: resourceSchema('hal'), warn: () => {} };

/** Whether any string on the heap contains `needle`, read from a heap snapshot written to disk. */
async function heapHolds(dir: string, needle: () => string): Promise<boolean> {
  const path = writeHeapSnapshot(join(dir, 'heap.heapsnapshot'));
  // Built only after the snapshot, so the needle itself is not on the heap it searches.
  const wanted = needle();
  let carry = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    const text = carry + (chunk as string);
    if (text.includes(wanted)) return true;
    carry = text.slice(-wanted.length);
  }
  return false;
}

/**
 * A copy holds every resource it read until it writes (so bad input stops it with nothing
 * written). What it holds must be the resource alone: a key or href that is a slice of the
 * file's text keeps the whole file alive, which at 100,000 files is hundreds of megabytes.
 */
describe('what a copy holds of the files it read', () => {
  it('keeps no file text alive once a directory is read', async () => {
    const dir = tempDir();
    const markers = [randomBytes(12).toString('hex'), randomBytes(12).toString('hex')];
    mkdirSync(join(dir, 'data', 'items'), { recursive: true });
    for (let index = 1; index <= 20; index++) {
      writeFileSync(
        join(dir, 'data', 'items', `${index}.yaml`),
        `# ${markers[0]}${markers[1]}\n_links:\n  self:\n    href: /api/items/${index}\n  owner:\n    href: /api/users/number-${index}\nid: ${index}\ntitle: Item ${index}\n`,
      );
    }
    const held: CopyResource[] = [];
    for await (const resource of directoryEndpoint(join(dir, 'data')).read(context)) {
      held.push(resource);
    }
    expect(held.map((resource) => resource.uri)).toContain('/api/items/20');
    expect(held[0]!.dependsOn).toEqual(['/api/users/number-1']);
    expect(
      await heapHolds(dir, () => `${markers[0]}${markers[1]}`),
      'a resource read keeps the text of its file alive',
    ).toBe(false);
    expect(held).toHaveLength(20);
  }, 120_000);

  it('keeps no file text alive once a YAML stream file is read', async () => {
    const dir = tempDir();
    const markers = [randomBytes(12).toString('hex'), randomBytes(12).toString('hex')];
    const path = join(dir, 'all.yaml');
    let text = '';
    for (let index = 1; index <= 20; index++) {
      text += `---\n# ${markers[0]}${markers[1]}\n_links:\n  self:\n    href: /api/items/${index}\nid: ${index}\n`;
    }
    writeFileSync(path, text);
    text = '';
    const held: CopyResource[] = [];
    for await (const resource of fileEndpoint(path, 'yaml').read(context)) held.push(resource);
    expect(
      await heapHolds(dir, () => `${markers[0]}${markers[1]}`),
      'a resource read keeps the text of its file alive',
    ).toBe(false);
    expect(held).toHaveLength(20);
  }, 120_000);
});

/**
 * Between reading and writing, a copy holds the heads of the resources (keys, hashes, links)
 * and stages their bodies in a temporary file, so 100,000 bodies are never in memory at once.
 */
describe('what a copy holds between reading and writing', () => {
  it('holds no resource body in memory once the origins are read, and writes each body as read', async () => {
    const dir = tempDir();
    const markers = [randomBytes(12).toString('hex'), randomBytes(12).toString('hex')];
    mkdirSync(join(dir, 'data', 'items'), { recursive: true });
    for (let index = 1; index <= 20; index++) {
      writeFileSync(
        join(dir, 'data', 'items', `${index}.yaml`),
        `_links:\n  self:\n    href: /api/items/${index}\nid: ${index}\ntitle: ${markers[0]}${markers[1]} ${index}\n`,
      );
    }
    const written = new Map<string, unknown>();
    const target: CopyTarget = {
      label: 'memory target',
      ordered: false,
      async open() {
        // The origins are read and checked; nothing is written yet.
        expect(
          await heapHolds(dir, () => `${markers[0]}${markers[1]}`),
          'the staged resources hold their bodies in memory',
        ).toBe(false);
        return {
          existing: new Map(),
          fingerprint: (resource) => resource.hash,
          async apply(plan) {
            for (const { resource } of plan.layers.flat()) {
              written.set(resource.key, JSON.parse(resource.readText()));
            }
            return [];
          },
        };
      },
    };
    const summary = await copyResources({ origins: [join(dir, 'data')], destination: target });
    expect(summary.creates).toHaveLength(20);
    expect(written.get('items/7')).toEqual({
      _links: { self: { href: '/api/items/7' } },
      id: 7,
      title: `${markers[0]}${markers[1]} 7`,
    });
  }, 120_000);

  it('removes its staging file when the copy ends, also when a write fails', async () => {
    const dir = tempDir();
    const staging = join(dir, 'tmp');
    mkdirSync(staging);
    mkdirSync(join(dir, 'data', 'items'), { recursive: true });
    writeFileSync(
      join(dir, 'data', 'items', '1.yaml'),
      '_links:\n  self:\n    href: /api/items/1\nid: 1\n',
    );
    let during: string[] = [];
    const target: CopyTarget = {
      label: 'failing target',
      ordered: false,
      async open() {
        during = readdirSync(staging);
        return {
          existing: new Map(),
          fingerprint: (resource) => resource.hash,
          apply: async () => {
            throw new Error('the destination went away');
          },
        };
      },
    };
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = staging;
    try {
      await expect(
        copyResources({ origins: [join(dir, 'data')], destination: target }),
      ).rejects.toThrow('the destination went away');
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    expect(during).toHaveLength(1);
    expect(readdirSync(staging)).toEqual([]);
  }, 60_000);
});
