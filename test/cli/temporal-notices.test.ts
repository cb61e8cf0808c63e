import { describe, expect, it } from 'vitest';
import { warnVerifyNotScheduled } from '../../src/cli/temporal-notices.js';
import * as memory from '../../src/connectors/memory/index.js';
import { definePipeline } from '../../src/sync/index.js';

const pipeline = (name: string, verify?: { everyMs: number }) =>
  definePipeline({
    name,
    source: memory.source({ units: { all: [] } }),
    destination: memory.destination(),
    ...(verify ? { verify } : {}),
  });

describe('pipelines run on the Temporal engine', () => {
  it('warns, naming the pipeline, about a verify option the engine does not schedule', () => {
    const lines: string[] = [];
    warnVerifyNotScheduled(
      [pipeline('contacts', { everyMs: 3_600_000 }), pipeline('orders')],
      (line) => lines.push(line),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"contacts"');
    expect(lines[0]).toContain('keepsync verify contacts');
  });
});
