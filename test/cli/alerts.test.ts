import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepsync } from '../support/cli.js';

describe('alerts', () => {
  it('calls onRunFinished and onUnitPaused from the config and POSTs the webhook when a unit pauses', async () => {
    const received: Array<{ event: string; run: { status: string; pausedReason: string } }> = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const dir = mkdtempSync(join(tmpdir(), 'keepsync-alerts-'));
      writeFileSync(
        join(dir, 'keepsync.config.ts'),
        `
import { appendFileSync } from 'node:fs';
import { defineConfig } from 'keepsync';
import * as memory from 'keepsync/connectors/memory';

const revoked = {
  name: 'revoked',
  open: async () => ({
    lookup: async () => new Map(),
    write: async (ops) => ops.map(() => ({ status: 'auth', error: 'token revoked' })),
    close: async () => {},
  }),
};

export default defineConfig({
  alerts: {
    onRunFinished: (run) => appendFileSync('alerts.log', 'finished ' + run.status + '\\n'),
    onUnitPaused: (run) => appendFileSync('alerts.log', 'paused ' + run.pipeline + '\\n'),
    webhook: 'http://127.0.0.1:${port}/hook',
  },
  pipelines: [{
    name: 'crm',
    source: memory.source({ units: { all: [{ key: 'c1', fields: { name: 'Ada' } }] } }),
    destination: revoked,
  }],
});
`,
      );
      const result = await keepsync(dir, 'run', '--once');
      expect(result.code).toBe(3);
      expect(readFileSync(join(dir, 'alerts.log'), 'utf8')).toBe('finished paused\npaused crm\n');
      expect(received).toMatchObject([{ event: 'unit-paused', run: { status: 'paused' } }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a misspelt alert hook, naming the closest one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsync-alerts-'));
    writeFileSync(
      join(dir, 'keepsync.config.ts'),
      `export default { alerts: { onUnitPause: () => {} }, pipelines: [] };`,
    );
    const result = await keepsync(dir, 'status');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /unknown option `alerts\.onUnitPause` \(did you mean `onUnitPaused`\?\)/,
    );
  });
});
