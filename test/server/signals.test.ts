import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnServe } from './child.js';
import { tempSqlitePath } from './helpers.js';

const stallAfterListening = pathToFileURL(
  join(import.meta.dirname, 'fixtures/slow-after-listening.mjs'),
).href;

describe('keepsync serve signals', () => {
  it('stops cleanly on a SIGTERM sent the moment it reports that it is listening', async () => {
    const child = await spawnServe(['--db', tempSqlitePath(), '--no-auth'], {
      NODE_OPTIONS: `--import=${stallAfterListening}`,
    });
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });
});
