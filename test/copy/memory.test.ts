import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { describe, expect, it } from 'vitest';
import {
  type CopyResource,
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
