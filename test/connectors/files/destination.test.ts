import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as files from '../../../src/connectors/files/index.js';
import * as memory from '../../../src/connectors/memory/index.js';
import { definePipeline, runPipeline, type WriteOp } from '../../../src/sync/index.js';
import { memoryStore } from '../../sync/helpers.js';
import { openSession, readPages, tempDir } from './helpers.js';

function create(key: string, fields: Record<string, unknown>, body?: string): WriteOp {
  return { kind: 'create', key, record: { key, fields: fields as never, body } };
}

function update(
  key: string,
  destId: string,
  fields: Record<string, unknown>,
  body?: string,
): WriteOp {
  return { kind: 'update', key, destId, record: { key, fields: fields as never, body } };
}

describe('files destination', () => {
  it('writes one YAML file per record with key, sorted fields and body', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    const results = await session.write([
      create(
        'acme/repo',
        {
          stars: 12,
          archived: false,
          pushedAt: new Date('2024-05-01T10:00:00Z'),
          topics: ['sync', 'yaml'],
          owner: { name: 'Ada', id: 7 },
          missing: null,
        },
        'Line one\nLine two',
      ),
    ]);
    expect(results).toEqual([{ status: 'ok', destId: 'acme%2Frepo.yaml' }]);
    expect(await readFile(join(dir, 'acme%2Frepo.yaml'), 'utf8')).toBe(
      [
        'key: acme/repo',
        'fields:',
        '  archived: false',
        '  missing: null',
        '  owner:',
        '    id: 7',
        '    name: Ada',
        '  pushedAt: 2024-05-01T10:00:00.000Z',
        '  stars: 12',
        '  topics:',
        '    - sync',
        '    - yaml',
        'body: |-',
        '  Line one',
        '  Line two',
        '',
      ].join('\n'),
    );
  });

  it('fails the run when its directory cannot be written, keeping the cursor and dead-lettering nothing', async () => {
    const dir = join(await tempDir(), 'out');
    const store = memoryStore();
    const records = Array.from({ length: 30 }, (_, n) => ({ key: `k${n}`, fields: { n } }));
    const pipeline = definePipeline({
      name: 'files-outage',
      source: memory.source({ units: { all: records }, pageSize: 10 }),
      destination: files.destination({ dir }),
      writeRetries: 1,
      retryMinDelayMs: 1,
    });
    try {
      let broken = false;
      const failed = await runPipeline({
        store,
        pipeline,
        unit: 'all',
        // Once the first page is committed, a file stands where the directory was.
        onProgress: async () => {
          if (broken) return;
          broken = true;
          await rename(dir, `${dir}.away`);
          await writeFile(dir, 'not a directory');
        },
      });
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/ENOTDIR/);
      expect(failed.stats).toMatchObject({ created: 10, failed: 0 });
      expect(await store.listDeadLetters({})).toEqual([]);

      await rm(dir);
      await rename(`${dir}.away`, dir);
      const healed = await runPipeline({ store, pipeline, unit: 'all' });
      expect(healed.stats).toMatchObject({ read: 20, created: 20, failed: 0 });
      expect((await readdir(dir)).filter((name) => name.endsWith('.yaml'))).toHaveLength(30);
    } finally {
      await store.close();
    }
  });

  it('writes JSON with sorted field names, integer-like ones included', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir, format: 'json' }));
    await session.write([create('k1', { b: 1, '10': 'ten', a: { z: true, '2': null } })]);
    expect(await readFile(join(dir, 'k1.json'), 'utf8')).toBe(
      '{\n  "key": "k1",\n  "fields": {\n    "10": "ten",\n    "a": {\n      "2": null,\n      "z": true\n    },\n    "b": 1\n  }\n}\n',
    );
  });

  it('does not fold long strings, so the file reads back exactly', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    const long = 'word '.repeat(60).trim();
    await session.write([create('k', { text: long })]);
    const text = await readFile(join(dir, 'k.yaml'), 'utf8');
    expect(text).toContain(`text: ${long}\n`);
    const [page] = await readPages(files.source({ dir }), dir);
    expect(page!.records[0]!.fields.text).toBe(long);
  });

  it('merges an update into the stored file, keeping fields and body the update does not carry', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    await session.write([create('k', { title: 'Old', createdBy: 'ada', n: 1 }, 'The body')]);
    const results = await session.write([update('k', 'k.yaml', { title: 'New', n: 2 })]);
    expect(results).toEqual([{ status: 'ok', destId: 'k.yaml' }]);
    const [page] = await readPages(files.source({ dir }), dir);
    expect(page!.records[0]).toMatchObject({
      key: 'k',
      fields: { title: 'New', createdBy: 'ada', n: 2 },
      body: 'The body',
    });
  });

  it('leaves the file untouched when an update would write the same bytes', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    await session.write([create('k', { title: 'Same', n: 1 })]);
    const before = await stat(join(dir, 'k.yaml'));
    const results = await session.write([update('k', 'k.yaml', { title: 'Same' })]);
    expect(results).toEqual([{ status: 'ok', destId: 'k.yaml' }]);
    const after = await stat(join(dir, 'k.yaml'));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('replaces the file with a new one on a real change', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    await session.write([create('k', { title: 'One' })]);
    const before = await stat(join(dir, 'k.yaml'));
    await session.write([update('k', 'k.yaml', { title: 'Two' })]);
    expect((await stat(join(dir, 'k.yaml'))).ino).not.toBe(before.ino);
  });

  it('finds records written earlier by key, archived ones included', async () => {
    const dir = await tempDir();
    const destination = files.destination({ dir });
    const session = await openSession(destination);
    await session.write([create('a/1', { n: 1 }), create('b', { n: 2 })]);
    await session.write([{ kind: 'archive', key: 'b', destId: 'b.yaml' }]);
    const again = await openSession(destination);
    const found = await again.lookup(['a/1', 'b', 'never-written']);
    expect(Object.fromEntries(found)).toEqual({ 'a/1': 'a%2F1.yaml', b: 'b.yaml' });
  });

  it('moves archived records into .archive and brings them back on update', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    await session.write([create('k', { title: 'Kept', createdBy: 'ada' })]);
    expect(await session.write([{ kind: 'archive', key: 'k', destId: 'k.yaml' }])).toEqual([
      { status: 'ok', destId: 'k.yaml' },
    ]);
    expect(await readdir(dir)).toEqual(['.archive']);
    expect(await readFile(join(dir, '.archive', 'k.yaml'), 'utf8')).toContain('title: Kept');
    expect(await readPages(files.source({ dir }), dir)).toEqual([]);

    await session.write([update('k', 'k.yaml', { title: 'Back' })]);
    expect(await readdir(join(dir, '.archive'))).toEqual([]);
    const [page] = await readPages(files.source({ dir }), dir);
    expect(page!.records[0]!.fields).toEqual({ title: 'Back', createdBy: 'ada' });
  });

  it('deletes the live file and any archived copy', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    await session.write([create('a', { n: 1 }), create('b', { n: 2 })]);
    await session.write([{ kind: 'archive', key: 'b', destId: 'b.yaml' }]);
    const results = await session.write([
      { kind: 'delete', key: 'a', destId: 'a.yaml' },
      { kind: 'delete', key: 'b', destId: 'b.yaml' },
    ]);
    expect(results.map((result) => result.status)).toEqual(['ok', 'ok']);
    expect(await readdir(dir)).toEqual(['.archive']);
    expect(await readdir(join(dir, '.archive'))).toEqual([]);
    expect((await session.lookup(['a', 'b'])).size).toBe(0);
  });

  it('rejects a value with no file form, naming the record and the field, and writes the rest', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    const results = await session.write([
      create('bad', { count: Number.NaN }),
      create('good', { count: 1 }),
    ]);
    expect(results[0]!.status).toBe('rejected');
    expect(results[0]).toMatchObject({ error: expect.stringMatching(/record bad: .*`count`/) });
    expect(results[1]).toEqual({ status: 'ok', destId: 'good.yaml' });
    expect(await readdir(dir)).toEqual(['good.yaml']);
  });

  it('refuses to merge into a stored file that is not valid YAML, naming file and line', async () => {
    const dir = await tempDir();
    const path = join(dir, 'k.yaml');
    await writeFile(path, 'key: k\nfields:\n  title: [unclosed\n');
    const session = await openSession(files.destination({ dir }));
    const [result] = await session.write([update('k', 'k.yaml', { title: 'x' })]);
    expect(result).toMatchObject({
      status: 'rejected',
      error: expect.stringContaining(`${path} line 3`),
    });
    expect(await readFile(path, 'utf8')).toBe('key: k\nfields:\n  title: [unclosed\n');
  });

  it('refuses a destination id that points outside the directory', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    const results = await session.write([
      { kind: 'delete', key: 'k', destId: '../k.yaml' },
      { kind: 'archive', key: 'k', destId: '.hidden.yaml' },
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });

  it('leaves no temp files behind after a batch of writes', async () => {
    const dir = await tempDir();
    const session = await openSession(files.destination({ dir }));
    const ops = Array.from({ length: 50 }, (_, index) => create(`r${index}`, { index }));
    await session.write(ops);
    await session.write(
      ops.map((op, index) => update(op.key, `r${index}.yaml`, { index: index + 1 })),
    );
    const names = await readdir(dir);
    expect(names).toHaveLength(50);
    expect(names.every((name) => /^r\d+\.yaml$/.test(name))).toBe(true);
  });

  it('truncate removes the record files and the archive, and keeps other files', async () => {
    const dir = await tempDir();
    const destination = files.destination({ dir });
    const session = await openSession(destination);
    await writeFile(join(dir, 'README.md'), 'hand-written notes');
    await session.write([create('a', { n: 1 }), create('b', { n: 2 })]);
    await session.write([{ kind: 'archive', key: 'b', destId: 'b.yaml' }]);
    await destination.truncate!();
    expect(await readdir(dir)).toEqual(['README.md']);
  });

  it('reads back through the files source with Dates as ISO strings and other values unchanged', async () => {
    for (const format of ['yaml', 'json'] as const) {
      const dir = await tempDir();
      const session = await openSession(files.destination({ dir, format }));
      const fields = {
        when: new Date('2024-01-02T03:04:05.678Z'),
        flag: true,
        off: false,
        list: [1, 'two', null, { three: 3 }],
        nested: { deep: { deeper: ['x'] } },
        numeric: '007',
        yes: 'yes',
        empty: '',
        none: null,
      };
      await session.write([create('k', fields, 'body text\n')]);
      const [page] = await readPages(files.source({ dir }), dir);
      expect(page!.records[0]).toMatchObject({
        key: 'k',
        fields: { ...fields, when: '2024-01-02T03:04:05.678Z' },
        body: 'body text\n',
      });
    }
  });

  it('refuses options that would write outside the directory', () => {
    expect(() => files.destination({ dir: '/tmp/x', archiveDir: '../elsewhere' })).toThrow(
      /archiveDir/,
    );
  });
});
