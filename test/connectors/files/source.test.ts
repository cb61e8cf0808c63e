import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as files from '../../../src/connectors/files/index.js';
import type { SourcePage } from '../../../src/sync/index.js';
import { readPages, telemetry, tempDir } from './helpers.js';

async function writeRecords(dir: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const name = `r${String(index).padStart(2, '0')}`;
    await writeFile(join(dir, `${name}.yaml`), `key: ${name}\nfields:\n  n: ${index}\n`);
  }
}

describe('files source', () => {
  it('lists one unit and reads every file in name order, a page at a time', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 5);
    const source = files.source({ dir, pageSize: 2 });
    expect(source.mode).toBe('full');
    expect(await source.units()).toEqual([{ id: dir }]);
    const pages = await readPages(source, dir);
    expect(pages.map((page) => page.records.map((record) => record.key))).toEqual([
      ['r00', 'r01'],
      ['r02', 'r03'],
      ['r04'],
    ]);
    expect(pages.map((page) => page.cursor)).toEqual(['r01.yaml', 'r03.yaml', 'r04.yaml']);
    expect(pages[0]!.records[1]!.fields).toEqual({ n: 1 });
  });

  it('resumes after the file named by the cursor', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 5);
    const pages = await readPages(files.source({ dir, unit: 'notes', pageSize: 10 }), 'notes', {
      cursor: 'r02.yaml',
    });
    expect(pages.flatMap((page) => page.records.map((record) => record.key))).toEqual([
      'r03',
      'r04',
    ]);
  });

  it('reads YAML, YML and JSON files and skips hidden, temp, archived and other files', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.yaml'), 'key: a\nfields: {}\n');
    await writeFile(join(dir, 'b.yml'), 'key: b\n');
    await writeFile(join(dir, 'c.json'), '{"key": "c", "fields": {"n": 1}, "body": "text"}');
    await writeFile(join(dir, '.d.yaml'), 'key: d\n');
    await writeFile(join(dir, '.e.yaml.1a2b.tmp'), 'key: e\n');
    await writeFile(join(dir, 'notes.md'), '# not a record');
    await mkdir(join(dir, '.archive'));
    await writeFile(join(dir, '.archive', 'f.yaml'), 'key: f\n');
    const pages = await readPages(files.source({ dir }), dir);
    expect(pages.flatMap((page) => page.records)).toMatchObject([
      { key: 'a', fields: {} },
      { key: 'b', fields: {} },
      { key: 'c', fields: { n: 1 }, body: 'text' },
    ]);
    const jsonOnly = await readPages(files.source({ dir, format: 'json' }), dir);
    expect(jsonOnly.flatMap((page) => page.records.map((record) => record.key))).toEqual(['c']);
  });

  it('returns only the requested keys on a targeted read', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 5);
    const pages = await readPages(files.source({ dir, pageSize: 2 }), dir, {
      keys: ['r01', 'r04'],
    });
    expect(pages.flatMap((page) => page.records.map((record) => record.key))).toEqual([
      'r01',
      'r04',
    ]);
  });

  it('takes updatedAt from the file when present, else from its modification time', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.yaml'), "key: a\nupdatedAt: '2024-03-04T05:06:07Z'\n");
    await writeFile(join(dir, 'b.yaml'), 'key: b\n');
    const mtime = new Date('2023-01-01T00:00:00Z');
    await utimes(join(dir, 'b.yaml'), mtime, mtime);
    const [page] = await readPages(files.source({ dir }), dir);
    expect(page!.records.map((record) => record.updatedAt?.toISOString())).toEqual([
      '2024-03-04T05:06:07.000Z',
      '2023-01-01T00:00:00.000Z',
    ]);
  });

  it("makes invalid YAML that record's error, naming the file and the line, and reads the rest", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.yaml'), 'key: a\nfields:\n  n: 1\n  n: 2\nbody: text\n');
    await writeFile(join(dir, 'b.yaml'), 'key: b\nfields:\n  n: 1\n');
    const pages = await readPages(files.source({ dir }), dir);
    expect(pages.flatMap((page) => page.records.map((record) => record.key))).toEqual(['b']);
    expect(unreadable(pages)).toEqual([
      {
        key: 'a',
        error: expect.stringMatching(
          new RegExp(`^${escapeRegExp(join(dir, 'a.yaml'))} line 4: .*unique`),
        ),
      },
    ]);
  });

  it('names the file and the line of invalid JSON', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.json'), '{\n  "key": "a",\n  "fields": {\n    "n": 1,\n  }\n}\n');
    expect(unreadable(await readPages(files.source({ dir }), dir))).toEqual([
      {
        key: 'a',
        error: expect.stringMatching(new RegExp(`^${escapeRegExp(join(dir, 'a.json'))} line 5: `)),
      },
    ]);
  });

  it('names the file of a truncated JSON document at its last line', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.json'), '{\n  "key": "a",\n  "fields": {\n');
    expect(unreadable(await readPages(files.source({ dir }), dir))[0]?.error).toContain(
      `${join(dir, 'a.json')} line 3: `,
    );
  });

  it("makes an empty file that record's error, keyed by the file name", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'ada%20l.yaml'), '');
    expect(unreadable(await readPages(files.source({ dir }), dir))).toEqual([
      {
        key: 'ada l',
        error: expect.stringContaining(`${join(dir, 'ada%20l.yaml')}: expected a mapping`),
      },
    ]);
  });

  it('takes the key from the file name when the file has none', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.yaml'), 'fields:\n  n: 1\n');
    const pages = await readPages(files.source({ dir }), dir);
    expect(pages[0]?.records).toMatchObject([{ key: 'a', fields: { n: 1 } }]);
  });

  it("reads a plain mapping as the record's fields (one YAML file per contact: `name: Ada`)", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'ada.yaml'), 'name: Ada\nemail: ada@example.com\n');
    await writeFile(join(dir, 'alan.yaml'), 'key: turing\nname: Alan\n');
    const pages = await readPages(files.source({ dir }), dir);
    expect(pages[0]?.records).toMatchObject([
      { key: 'ada', fields: { name: 'Ada', email: 'ada@example.com' } },
      { key: 'turing', fields: { name: 'Alan' } },
    ]);
  });

  it('refuses values that have no neutral form, naming the file and the field', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.yaml'), 'key: a\nfields:\n  ratio: .inf\n');
    expect(unreadable(await readPages(files.source({ dir }), dir))[0]?.error).toMatch(
      /a\.yaml: field `ratio`/,
    );
  });

  it('refuses a cursor that is not a file name', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 1);
    await expect(
      readPages(files.source({ dir }), dir, { cursor: { offset: 3 } }),
    ).rejects.toMatchObject({
      code: 'CURSOR_INVALID',
      message: expect.stringContaining(dir),
    });
  });

  it('refuses to read a unit it does not have', async () => {
    const dir = await tempDir();
    await expect(readPages(files.source({ dir }), 'other')).rejects.toThrow(`its unit is ${dir}`);
  });

  it('reports a missing directory as a configuration error', async () => {
    const dir = join(await tempDir(), 'missing');
    await expect(readPages(files.source({ dir }), dir)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('confirms missing keys by the keys the files hold, whatever the files are named', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 3);
    await writeFile(join(dir, 'renamed.yaml'), 'key: moved\nfields:\n  n: 9\n');
    const source = files.source({ dir });
    const check = await source.confirmMissing!(dir, ['r01', 'moved', 'gone'], { telemetry });
    expect(check.found.map((record) => record.key).sort()).toEqual(['moved', 'r01']);
    expect(check.gone).toEqual(['gone']);
  });
});

function unreadable(pages: readonly SourcePage[]) {
  return pages.flatMap((page) => page.unreadable ?? []);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
