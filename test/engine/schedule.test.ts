import { describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import { Engine, nextRunAfter } from '../../src/engine/index.js';
import { definePipeline } from '../../src/sync/index.js';
import { memoryStore } from '../sync/helpers.js';

function pipelineWith(schedule: { everyMs?: number; cron?: string }) {
  return definePipeline({
    name: 'p',
    source: memory.source({ units: { u: [] } }),
    destination: memory.destination(),
    schedule,
  });
}

describe('schedules', () => {
  it('runs an interval schedule that long after the last run', () => {
    const from = new Date('2026-01-01T10:00:00Z');
    expect(nextRunAfter(pipelineWith({ everyMs: 90_000 }), from).toISOString()).toBe(
      '2026-01-01T10:01:30.000Z',
    );
  });

  it('defaults to every 30 minutes', () => {
    const from = new Date('2026-01-01T10:00:00Z');
    expect(nextRunAfter(pipelineWith({}), from).toISOString()).toBe('2026-01-01T10:30:00.000Z');
  });

  it('follows a cron expression, which wins over an interval', () => {
    const from = new Date('2026-01-01T10:07:00Z');
    const next = nextRunAfter(pipelineWith({ cron: '*/15 * * * *', everyMs: 1000 }), from);
    expect(next.getUTCMinutes()).toBe(15);
    expect(next.getUTCHours()).toBe(new Date(from).getUTCHours());
  });

  it('refuses a malformed cron expression when the engine starts, naming the pipeline', async () => {
    const store = memoryStore();
    await expect(
      Engine.create({ store, pipelines: [pipelineWith({ cron: 'every tuesday' })] }),
    ).rejects.toThrow(/pipeline p `schedule.cron` to be a cron expression, got "every tuesday"/);
    await store.close();
  });

  it('retries a failed unit sooner than its schedule, backing off as failures repeat', async () => {
    const store = memoryStore();
    const failing = definePipeline({
      name: 'p',
      source: {
        name: 'broken',
        mode: 'full',
        units: () => [{ id: 'u' }],
        read: () => {
          throw new Error('source down');
        },
      },
      destination: memory.destination(),
      schedule: { everyMs: 3_600_000 },
    });
    const engine = await Engine.create({ store, pipelines: [failing] });
    const delays: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = Date.now();
      const [result] = await engine.runOnce();
      expect(result?.status).toBe('failed');
      expect(result?.error).toBe('source down');
      delays.push((await store.getUnit('p', 'u'))!.nextRunAt!.getTime() - before);
    }
    expect(delays[0]).toBeLessThan(10_000);
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(delays[2]!).toBeGreaterThan(delays[1]!);
    expect(delays[2]!).toBeLessThan(3_600_000);
    await store.close();
  });
});
