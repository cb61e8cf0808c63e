import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const worker = join(import.meta.dirname, 'key-file-race-worker.ts');

interface Opened {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the store key file', () => {
  it('is created once, whole, when several processes open new stores with it at once', async () => {
    for (let round = 0; round < 6; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'keepsync-key-race-'));
      const keyFile = join(dir, 'shared.key');
      const children = Array.from({ length: 6 }, (_, i) =>
        spawn(process.execPath, ['--import', 'tsx', worker, join(dir, `s${i}.db`), keyFile], {
          stdio: ['pipe', 'pipe', 'pipe'],
        }),
      );
      const results = children.map(
        (child) =>
          new Promise<Opened>((resolve) => {
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (chunk) => {
              stdout += chunk;
            });
            child.stderr.on('data', (chunk) => {
              stderr += chunk;
            });
            child.once('exit', (code) => resolve({ code, stdout, stderr }));
          }),
      );
      // Every child has loaded its modules before any is told to open its store.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      for (const child of children) child.stdin.end('go\n');
      const opened = await Promise.all(results);
      expect(opened.map((o) => o.stderr)).toEqual(opened.map(() => ''));
      expect(opened.map((o) => o.code)).toEqual(opened.map(() => 0));
      expect(new Set(opened.map((o) => o.stdout)).size).toBe(1);
      expect(opened[0]!.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
      // No draft is left beside the key.
      expect(readdirSync(dir).filter((name) => name.includes('.key'))).toEqual(['shared.key']);
    }
  }, 240_000);
});
