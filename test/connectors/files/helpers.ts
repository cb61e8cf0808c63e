import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Cursor } from '../../../src/model/index.js';
import type {
  ConnectorTelemetry,
  Destination,
  DestinationSession,
  Source,
  SourcePage,
} from '../../../src/sync/index.js';

export const telemetry: ConnectorTelemetry = { retried() {}, waitedForRateLimit() {} };

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keepsync-files-'));
  made.push(dir);
  return dir;
}

export function openSession(destination: Destination): Promise<DestinationSession> {
  return destination.open({ pipeline: 'test', unit: 'unit', telemetry });
}

export async function readPages(
  source: Source,
  unit: string,
  options: { cursor?: Cursor; keys?: readonly string[] } = {},
): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  for await (const page of source.read(unit, {
    cursor: options.cursor ?? null,
    keys: options.keys,
    telemetry,
  })) {
    pages.push(page);
  }
  return pages;
}
