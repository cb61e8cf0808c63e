import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keepsync, spawnKeepsync } from '../support/cli.js';

function project(config: string, folder = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-outcome-'));
  mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, folder, 'keepsync.config.ts'), config);
  return dir;
}

const contacts = (records: string, extra = '') => `
import { existsSync } from 'node:fs';
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';

export default defineConfig({
  pipelines: [{
    name: 'contacts',
    source: memory.source({ units: { all: () => ${records} } }),
    destination: files.destination({ dir: 'out' }),
    ${extra}
  }],
});
`;
const TWO = `[{ key: 'c1', fields: { name: 'Ada' } }, { key: 'c2', fields: { name: 'Alan' } }]`;

describe('run --once says what it did, with exit codes cron can tell apart', () => {
  it('reports a paused unit it skipped, and exits 3', async () => {
    const dir = project(contacts(TWO));
    await keepsync(dir, 'pause', 'contacts', '--reason', 'maintenance');
    const result = await keepsync(dir, 'run', '--once');
    expect(result.stderr).toMatch(
      /contacts\/all: paused \(maintenance\); `keepsync resume contacts`/,
    );
    expect(result.code).toBe(3);
    const json = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ pipeline: 'contacts', status: 'skipped', reason: 'paused' }),
    ]);
  });

  it('reports a unit whose lease another engine holds, and exits 5', async () => {
    const dir = project(contacts(TWO));
    expect((await keepsync(dir, 'status')).code).toBe(0);
    const db = new Database(join(dir, '.keepsync/keepsync.db'));
    db.prepare('UPDATE units SET lease_owner = ?, lease_expires_ms = ? WHERE pipeline = ?').run(
      'other-host:1:abc',
      Date.now() + 3_600_000,
      'contacts',
    );
    db.close();
    const result = await keepsync(dir, 'run', '--once');
    expect(result.stderr).toMatch(
      /contacts\/all: not run, another engine holds its lease \(other-host:1:abc/,
    );
    expect(result.code).toBe(5);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 130 when Ctrl-C stops it before every unit ran', async () => {
    const slow = `{ count: 200_000, record: (i) => ({ key: String(i), fields: { n: i } }) }`;
    const dir = project(`
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';
export default defineConfig({
  pipelines: [{
    name: 'many',
    source: memory.source({ units: { a: ${slow}, b: ${slow} }, pageSize: 50 }),
    destination: files.destination({ dir: 'out' }),
  }],
});
`);
    const run = spawnKeepsync(dir, 'run', '--once');
    // Wait for the first page to land before interrupting.
    await run.until(() => existsSync(join(dir, 'out')) && readdirSync(join(dir, 'out')).length > 0);
    expect(await run.stop('SIGINT')).toBe(130);
    expect(run.stderr()).not.toContain('    at ');
  }, 90_000);

  it('exits 6 when a two-way run leaves conflicts for a person to decide', async () => {
    const dir = project(`
import { defineConfig } from 'keepsync';
import * as files from 'keepsync/connectors/files';
export default defineConfig({
  pipelines: [],
  twoWay: [{
    name: 'tasks',
    left: files.twoWaySide({ dir: 'left' }),
    right: files.twoWaySide({ dir: 'right' }),
    fields: { title: 'title' },
    conflict: 'manual',
  }],
});
`);
    for (const [side, title] of [
      ['left', 'Buy milk'],
      ['right', 'Buy oat milk'],
    ] as const) {
      mkdirSync(join(dir, side));
      writeFileSync(join(dir, side, 't1.yaml'), `key: t1\nfields:\n  title: ${title}\n`);
    }
    const result = await keepsync(dir, 'run', '--once');
    expect(result.stderr).toMatch(/1 two-way conflict\(s\) wait for a decision/);
    expect(result.code).toBe(6);
  });

  it('`run --json` as a daemon prints one JSON line per finished run', async () => {
    const dir = project(contacts(TWO, 'schedule: { everyMs: 1000 }'));
    const run = spawnKeepsync(dir, 'run', '--json');
    await run.until(() => run.stdout().split('\n').filter(Boolean).length >= 2);
    await run.stop();
    const lines = run.stdout().split('\n').filter(Boolean);
    const runs = lines.map((line) => JSON.parse(line));
    expect(runs[0]).toMatchObject({
      pipeline: 'contacts',
      status: 'succeeded',
      stats: { created: 2 },
    });
    expect(runs[1]).toMatchObject({ status: 'succeeded', stats: { unchanged: 2 } });
  }, 90_000);
});

describe('paths, refresh and retry', () => {
  it('resolves connector paths against the config file, wherever keepsync starts', async () => {
    const dir = project(contacts(TWO), 'app');
    const result = await keepsync(dir, 'run', '--once', '--config', 'app/keepsync.config.ts');
    expect(result.code).toBe(0);
    expect(readdirSync(join(dir, 'app/out')).sort()).toEqual(['c1.yaml', 'c2.yaml']);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('`run --full-refresh` repairs a destination edited and deleted by hand', async () => {
    const dir = project(contacts(TWO));
    expect((await keepsync(dir, 'run', '--once')).code).toBe(0);
    const c1 = join(dir, 'out/c1.yaml');
    const written = readFileSync(c1, 'utf8');
    writeFileSync(c1, written.replace('Ada', 'Hand edit'));
    rmSync(join(dir, 'out/c2.yaml'));
    const plain = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(plain.stdout)[0].stats).toMatchObject({ unchanged: 2 });
    const refresh = await keepsync(dir, 'run', '--once', '--full-refresh', '--json');
    expect(refresh.code).toBe(0);
    expect(JSON.parse(refresh.stdout)[0].stats).toMatchObject({ created: 1, updated: 1 });
    expect(readFileSync(c1, 'utf8')).toBe(written);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['c1.yaml', 'c2.yaml']);
    const after = await keepsync(dir, 'run', '--once', '--json');
    expect(JSON.parse(after.stdout)[0].stats).toMatchObject({ unchanged: 2, created: 0 });
  });

  it('`dead-letters retry` re-reads the keys from the source, so a fixed record goes through', async () => {
    const records = `existsSync('fixed')
      ? [{ key: 'c1', fields: { name: 'Ada' } }, { key: 'c3', fields: { n: 3 } }]
      : [{ key: 'c1', fields: { name: 'Ada' } }, { key: 'c3', fields: { bad: 10n } }]`;
    const dir = project(contacts(records));
    expect((await keepsync(dir, 'run', '--once')).code).toBe(4);
    const again = await keepsync(dir, 'dead-letters', 'retry');
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(
      /Re-read 1 dead letter\(s\) from the source: 0 went through, 1 failed again/,
    );
    writeFileSync(join(dir, 'fixed'), '');
    const fixed = await keepsync(dir, 'dead-letters', 'retry');
    expect(fixed.stderr).toMatch(/1 went through, 0 failed again/);
    expect(fixed.code).toBe(0);
    expect(readFileSync(join(dir, 'out/c3.yaml'), 'utf8')).toMatch(/n: 3/);
    const letters = await keepsync(dir, 'dead-letters', 'list', '--json');
    expect(JSON.parse(letters.stdout)).toEqual([]);
  });

  it("a malformed file in a files source is that record's dead letter, naming file and line", async () => {
    const dir = project(`
import { defineConfig } from 'keepsync';
import * as files from 'keepsync/connectors/files';
export default defineConfig({
  pipelines: [{
    name: 'people',
    source: files.source({ dir: 'contacts' }),
    destination: files.destination({ dir: 'out' }),
  }],
});
`);
    mkdirSync(join(dir, 'contacts'));
    writeFileSync(join(dir, 'contacts/ada.yaml'), 'name: Ada\n');
    writeFileSync(join(dir, 'contacts/bad.yaml'), 'name: Bob\n  email: [\n');
    const result = await keepsync(dir, 'run', '--once', '--json');
    expect(result.code).toBe(4);
    expect(JSON.parse(result.stdout)[0].stats).toMatchObject({ created: 1, failed: 1 });
    expect(readdirSync(join(dir, 'out'))).toEqual(['ada.yaml']);
    const letters = JSON.parse((await keepsync(dir, 'dead-letters', 'list', '--json')).stdout);
    expect(letters).toMatchObject([
      { key: 'bad', error: expect.stringMatching(/contacts\/bad\.yaml line \d+: /) },
    ]);
  });
});
