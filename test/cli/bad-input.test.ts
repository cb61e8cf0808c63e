import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, keepsync } from '../support/cli.js';
import { freshDatabase } from '../support/postgres.js';

/** A project folder holding `files` (path -> text). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-bad-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const IMPORTS = `import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';
import * as files from 'keepsync/connectors/files';
import * as sql from 'keepsync/connectors/sql';
`;
const SOURCE = `memory.source({ units: { all: [{ key: 'c1', fields: { name: 'Ada' } }] } })`;
const DESTINATION = `files.destination({ dir: 'out' })`;

/** A config with one pipeline; `extra` is spliced into the pipeline's options. */
function pipelineConfig(extra: string, source = SOURCE, destination = DESTINATION): string {
  return `${IMPORTS}
export default defineConfig({
  pipelines: [{ name: 'contacts', source: ${source}, destination: ${destination}, ${extra} }],
});
`;
}

interface Mistake {
  readonly mistake: string;
  readonly files?: Record<string, string>;
  readonly args: readonly string[] | (() => readonly string[]);
  readonly code: number;
  readonly says: RegExp;
}

let busy: Server;
const busyPort = () => String((busy.address() as { port: number }).port);

const MISTAKES: readonly Mistake[] = [
  {
    mistake: 'a misspelt schedule',
    files: { 'keepsync.config.ts': pipelineConfig(`schedul: { everyMs: 60_000 }`) },
    args: ['run', '--once'],
    code: 2,
    says: /pipeline "contacts": unknown option `schedul` \(did you mean `schedule`\?\)/,
  },
  {
    mistake: 'a verify option in the wrong shape',
    files: { 'keepsync.config.ts': pipelineConfig(`verify: { every: '1d' }`) },
    args: ['status'],
    code: 2,
    says: /pipeline "contacts": .*unknown option `verify\.every` \(did you mean `everyMs`\?\)/,
  },
  {
    mistake: 'verify for a destination that cannot list its objects',
    files: {
      'keepsync.config.ts': pipelineConfig(
        '',
        SOURCE,
        `{ name: 'blind', open: ${DESTINATION}.open }`,
      ),
    },
    args: ['verify'],
    code: 2,
    says: /Pipeline "contacts" cannot be verified: its destination "blind" cannot list its objects/,
  },
  {
    mistake: 'a misspelt delete policy',
    files: { 'keepsync.config.ts': pipelineConfig(`delets: 'delete'`) },
    args: ['status'],
    code: 2,
    says: /unknown option `delets` \(did you mean `deletes`\?\)/,
  },
  {
    mistake: 'a misspelt route field map',
    files: { 'keepsync.config.ts': pipelineConfig(`route: { feilds: { name: 'title' } }`) },
    args: ['run', '--once'],
    code: 2,
    says: /unknown option `route\.feilds` \(did you mean `fields`\?\)/,
  },
  {
    mistake: 'a misspelt two-way delete policy',
    files: {
      'keepsync.config.ts': `${IMPORTS}
export default defineConfig({ pipelines: [], twoWay: [{
  name: 'tasks',
  left: files.twoWaySide({ dir: 'a' }),
  right: files.twoWaySide({ dir: 'b' }),
  fields: { title: 'title' },
  delets: { left: 'propagate' },
}] });
`,
    },
    args: ['run', '--once'],
    code: 2,
    says: /two-way task "tasks": unknown option `delets` \(did you mean `deletes`\?\)/,
  },
  {
    mistake: 'files.source without a dir',
    files: { 'keepsync.config.ts': pipelineConfig('', 'files.source({})') },
    args: ['status'],
    code: 2,
    says: /files\.source: `dir`: the directory of record files is required/,
  },
  {
    mistake: 'files.source with a misspelt dir',
    files: { 'keepsync.config.ts': pipelineConfig('', `files.source({ dri: 'contacts' })`) },
    args: ['run', '--once'],
    code: 2,
    says: /unknown option `dri` \(did you mean `dir`\?\)/,
  },
  {
    mistake: 'memory.source with wrong options',
    files: {
      'keepsync.config.ts': pipelineConfig('', `memory.source({ unit: { all: [] } })`),
    },
    args: ['status'],
    code: 2,
    says: /memory\.source: .*unknown option `unit` \(did you mean `units`\?\)/,
  },
  {
    mistake: 'a misspelt connector option',
    files: {
      'keepsync.config.ts': pipelineConfig('', SOURCE, 'memory.destination({ keepKeys: false })'),
    },
    args: ['status'],
    code: 2,
    says: /memory\.destination: unknown option `keepKeys` \(did you mean `keepsKeys`\?\)/,
  },
  {
    mistake: 'sql.destination without a client',
    files: {
      'keepsync.config.ts': pipelineConfig('', SOURCE, `sql.destination({ table: 'contacts' })`),
    },
    args: ['status'],
    code: 2,
    says: /sql\.destination: `client`: expected `client` to be sql\.sqliteClient/,
  },
  {
    mistake: 'a config with a syntax error',
    files: {
      'keepsync.config.ts': `export default {\n  pipelines: [\n    { name: 'a',\n  ],\n};\n`,
    },
    args: ['status'],
    code: 2,
    says: /keepsync\.config\.ts line 4, column \d+: syntax error/,
  },
  {
    mistake: 'a config file that does not exist',
    args: ['status', '--config', 'nope.config.ts'],
    code: 2,
    says: /Config file nope\.config\.ts does not exist/,
  },
  {
    mistake: 'an unknown pipeline',
    files: { 'keepsync.config.ts': pipelineConfig('') },
    args: ['trigger', 'contact'],
    code: 2,
    says: /No pipeline named contact \(known: contacts\)/,
  },
  {
    mistake: 'serve on a port out of range',
    args: ['serve', '--no-auth', '--port', '99999'],
    code: 2,
    says: /Expected --port to be a port from 0 to 65535, got "99999"/,
  },
  {
    mistake: 'serve on a port in use',
    args: () => ['serve', '--no-auth', '--port', busyPort()],
    code: 7,
    says: /127\.0\.0\.1:\d+ is already in use; choose another with --port/,
  },
  {
    mistake: 'run --dashboard followed by a pipeline name instead of a port',
    files: { 'keepsync.config.ts': pipelineConfig('') },
    args: ['run', '--dashboard', 'contacts'],
    code: 2,
    says: /Expected --dashboard to be followed by a port or nothing, got "contacts"/,
  },
  {
    mistake: 'the dashboard beyond 127.0.0.1 without a token',
    files: { 'keepsync.config.ts': pipelineConfig('') },
    args: ['dashboard', '--host', '0.0.0.0', '--port', '0'],
    code: 2,
    says: /Expected a dashboard token to listen on 0\.0\.0\.0/,
  },
  {
    mistake: 'the dashboard on a port in use',
    files: { 'keepsync.config.ts': pipelineConfig('') },
    args: () => ['dashboard', '--port', busyPort()],
    code: 7,
    says: /127\.0\.0\.1:\d+ is already in use; choose another with --port/,
  },
  {
    mistake: 'serve with --db in a folder that does not exist',
    args: ['serve', '--no-auth', '--port', '0', '--db', '/nonexistent/x.db'],
    code: 2,
    says: /--db \/nonexistent\/x\.db: the folder \/nonexistent does not exist/,
  },
  {
    mistake: 'serve with an unreachable --postgres',
    args: ['serve', '--no-auth', '--port', '0', '--postgres', 'postgres://u:p@127.0.0.1:1/x'],
    code: 7,
    says: /cannot reach 127\.0\.0\.1:1 \(connection refused\)/,
  },
];

describe('bad input: one clear line naming the culprit, a documented exit code, no stack trace', () => {
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  for (const { mistake, files, args, code, says } of MISTAKES) {
    it(`${mistake}: exit ${code}`, async () => {
      const dir = project(files ?? {});
      const result = await keepsync(dir, ...(typeof args === 'function' ? args() : args));
      expect(result.stderr).not.toContain('    at ');
      expect(result.stderr).toMatch(says);
      const lines = result.stderr.split('\n').filter((line) => line && !/warning:/.test(line));
      expect(lines).toHaveLength(1);
      expect(result.code).toBe(code);
    });
  }

  it('a reader that closes the pipe early (`copy data/ - | head`) ends the copy quietly', async () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < 2000; index++) {
      files[`data/${index}.yaml`] = `id: r${index}\ntype: row\nuri: /rows/r${index}\n`;
    }
    const dir = project(files);
    const child = spawn(process.execPath, cliArgs('copy', '--quiet', '--simple', 'data/', '-'), {
      cwd: dir,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('    at ');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  describe('sql.postgresClient({ connectionString })', () => {
    const database = freshDatabase('badinput');
    afterAll(() => database.drop());

    it('is accepted like a connection string', async () => {
      const url = await database.url();
      const dir = project({
        'keepsync.config.ts': pipelineConfig(
          '',
          SOURCE,
          `sql.destination({ client: sql.postgresClient({ connectionString: ${JSON.stringify(url)} }), table: 'contacts', createTable: true })`,
        ),
      });
      const result = await keepsync(dir, 'run', '--once', '--json');
      expect(result.stderr).not.toContain('    at ');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)[0]).toMatchObject({ stats: { created: 1 } });
    });
  });
});
