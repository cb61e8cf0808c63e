import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { copyResources } from '../../src/copy/index.js';
import { collect, snapshot, tempDir } from './helpers.js';

/** Strings a YAML 1.1 reader resolves to something else when they are written plain. */
const LOOKALIKES = [
  '2026-01-02T03:04:05Z',
  '2026-01-02',
  '2026-01-02 03:04:05.5 +01:00',
  '2026-1-2t3:04:05',
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'N',
  '1:20',
  '-190:20:30.15',
  '0777',
  '0b1010',
  '1_000',
  '+12',
  '1.',
  '6.8523015e+5',
  '.Inf',
  '<<',
  '=',
];

/** Strings every YAML version reads as strings: they stay plain. */
const PLAIN = ['hello', 'v1.0', '1.2.3', '2026-01', '12:30 meeting', 'yesterday'];

function lookalikeDocs() {
  return [
    {
      id: 1,
      values: Object.fromEntries(LOOKALIKES.map((text, index) => [`v${index}`, text])),
      keys: Object.fromEntries(LOOKALIKES.map((text) => [text, 'key'])),
      list: LOOKALIKES,
      plain: PLAIN,
      _links: { self: { href: '/api/things/1' } },
    },
  ];
}

/** What a YAML 1.1 reader makes of each document: JSON text, so a Date or a boolean shows. */
function readAsYaml11(text: string): unknown[] {
  return parseAllDocuments(text, { version: '1.1' }).map((document) => {
    expect(document.errors).toEqual([]);
    return JSON.parse(JSON.stringify(document.toJS()));
  });
}

const hasPyYaml = spawnSync('python3', ['-c', 'import yaml']).status === 0;

function readWithPyYaml(file: string): unknown[] {
  const script =
    'import json, sys, yaml\n' +
    'print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")))))';
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
}

describe('copy output read by YAML 1.1 readers', () => {
  it('quotes every string a YAML 1.1 reader would take for a date, boolean or number', async () => {
    const root = tempDir();
    const origin = join(root, 'origin.json');
    writeFileSync(origin, JSON.stringify(lookalikeDocs()));
    const dir = join(root, 'tree');
    const stream = join(root, 'all.yaml');
    await copyResources({ origins: [origin], destination: dir });
    await copyResources({ origins: [origin], destination: stream });

    const written = [join(dir, 'things', '1.yaml'), stream];
    for (const file of written) {
      expect(readAsYaml11(readFileSync(file, 'utf8'))).toEqual(lookalikeDocs());
      if (hasPyYaml) expect(readWithPyYaml(file)).toEqual(lookalikeDocs());
    }
    expect([...(await collect(dir)).values()]).toEqual(lookalikeDocs());
    expect([...(await collect(stream)).values()]).toEqual(lookalikeDocs());
    const text = readFileSync(written[0]!, 'utf8');
    for (const plain of PLAIN) expect(text).toContain(`  - ${plain}\n`);

    const again = await copyResources({ origins: [origin], destination: dir });
    expect(again).toMatchObject({ unchanged: 1, creates: [], updates: [] });
  });

  it('keeps the bytes of a file without such strings, and does not rewrite a file written before quoting', async () => {
    const root = tempDir();
    const origin = join(root, 'origin.json');
    const doc = {
      created: '2026-01-02T03:04:05Z',
      id: 7,
      name: 'Plain name',
      _links: { self: { href: '/api/things/7' } },
    };
    writeFileSync(origin, JSON.stringify([doc]));
    const dir = join(root, 'tree');
    const file = join(dir, 'things', '7.yaml');

    await copyResources({ origins: [origin], destination: dir });
    expect(readFileSync(file, 'utf8')).toBe(
      '_links:\n  self:\n    href: /api/things/7\ncreated: "2026-01-02T03:04:05Z"\nid: 7\nname: Plain name\n',
    );

    // The same resource as keepsync wrote it before: the date plain. Its content is unchanged,
    // so a copy leaves the file alone.
    const before =
      '_links:\n  self:\n    href: /api/things/7\ncreated: 2026-01-02T03:04:05Z\nid: 7\nname: Plain name\n';
    writeFileSync(file, before);
    const files = snapshot(dir);
    const again = await copyResources({ origins: [origin], destination: dir });
    expect(again).toMatchObject({ unchanged: 1, creates: [], updates: [] });
    expect(snapshot(dir)).toEqual(files);
  });
});
