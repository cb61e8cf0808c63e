import { afterEach, describe, expect, it } from 'vitest';
import * as memory from '../../src/connectors/memory/index.js';
import type { Store } from '../../src/store/index.js';
import {
  definePipeline,
  type PipelineOptions,
  runPipeline,
  type WriteOp,
  type WriteResult,
} from '../../src/sync/index.js';
import { makeRecords, memoryStore } from './helpers.js';

let store: Store;
afterEach(async () => {
  await store?.close();
});

function setup(
  fault: (op: WriteOp) => WriteResult | undefined,
  options: Partial<PipelineOptions> = {},
  count = 30,
) {
  store = memoryStore();
  const destination = memory.destination({ fault });
  const pipeline = definePipeline({
    name: 'p',
    source: memory.source({ units: { u: makeRecords(count) }, pageSize: 10 }),
    destination,
    writeRetries: 2,
    retryMinDelayMs: 1,
    ...options,
  });
  const creates = () => destination.writes.filter((op) => op.kind === 'create').length;
  return {
    destination,
    creates,
    run: () => runPipeline({ store, pipeline, unit: 'u' }),
  };
}

describe('an outage is not a bad record', () => {
  it('fails the run and keeps the cursor when the destination keeps answering 5xx, then the next run writes the page once', async () => {
    let down = false;
    let healed = false;
    const { destination, creates, run } = setup((op) => {
      // The destination goes down after the first page, until it is healed.
      if (op.key === 'r10' && !healed) down = true;
      return down ? { status: 'retryable', error: 'HTTP 503 Service Unavailable' } : undefined;
    });
    const outage = await run();
    expect(outage.status).toBe('failed');
    expect(outage.error).toMatch(
      /Destination memory is failing .*10 of 10 writes of this page still failed after retries, last: create r\d+: HTTP 503/,
    );
    expect(outage.stats).toMatchObject({ created: 10, failed: 0 });
    expect(await store.listDeadLetters({})).toEqual([]);

    down = false;
    healed = true;
    const after = await run();
    expect(after.status).toBe('succeeded');
    // The page that met the outage is read again, not skipped.
    expect(after.stats).toMatchObject({ read: 20, created: 20, failed: 0 });
    expect(destination.byKey().size).toBe(30);
    expect(creates()).toBe(30);
  });

  it('links what a half-failed page wrote, so the next run neither repeats nor loses it', async () => {
    let down = true;
    const { destination, creates, run } = setup(
      (op) =>
        down && Number(op.key.slice(1)) % 2 === 1
          ? { status: 'retryable', error: 'connect ECONNREFUSED 127.0.0.1:443' }
          : undefined,
      {},
      10,
    );
    const outage = await run();
    expect(outage.status).toBe('failed');
    expect(outage.error).toMatch(/5 of 10 writes .*ECONNREFUSED/);
    down = false;
    const healed = await run();
    expect(healed.stats).toMatchObject({ read: 10, created: 5, unchanged: 5 });
    expect(creates()).toBe(10);
    expect(destination.byKey().size).toBe(10);
  });

  it('fails at once, without retries, when the destination says it cannot take writes', async () => {
    const { run } = setup((op) =>
      op.key === 'r3' ? { status: 'unavailable', error: 'no such table: items' } : undefined,
    );
    const result = await run();
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/last: create r3: no such table: items/);
    expect(result.stats.retries).toBe(0);
    expect(await store.listDeadLetters({})).toEqual([]);
  });

  it('dead-letters only the record the destination rejects, and the run goes on', async () => {
    const { destination, run } = setup((op) =>
      op.key === 'r12' ? { status: 'rejected', error: '400 validation_error: title' } : undefined,
    );
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(result.stats).toMatchObject({ created: 29, failed: 1 });
    const letters = await store.listDeadLetters({});
    expect(letters.map((letter) => [letter.key, letter.error])).toEqual([
      ['r12', 'create failed: 400 validation_error: title'],
    ]);
    expect(destination.byKey().size).toBe(29);
    expect((await store.getCursor('p', 'u'))?.cursor).toBeNull();
  });

  it('stops a run whose page is mostly rejected, dead-letters nothing and keeps the cursor', async () => {
    const reject = (op: WriteOp): WriteResult | undefined =>
      Number(op.key.slice(1)) >= 10 && Number(op.key.slice(1)) < 17
        ? { status: 'rejected', error: '400 validation_error: property Stars does not exist' }
        : undefined;
    const { run } = setup(reject);
    const result = await run();
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(
      /rejected 7 of 10 writes of one page .*circuitBreaker\.maxRejectedShare 0\.5; first: create failed: 400 validation_error: property Stars/,
    );
    expect(await store.listDeadLetters({})).toEqual([]);
    const again = await run();
    expect(again.stats.read).toBe(20);

    const lenient = setup(reject, { circuitBreaker: { maxRejectedShare: 0.8 } });
    const allowed = await lenient.run();
    expect(allowed.status).toBe('succeeded');
    expect(await store.listDeadLetters({})).toHaveLength(7);
  });

  it('checks the circuit breaker options', () => {
    expect(() =>
      definePipeline({
        name: 'p',
        source: memory.source({ units: { u: [] } }),
        destination: memory.destination(),
        circuitBreaker: { maxRejectedShare: 2 },
      }),
    ).toThrow(
      /Expected pipeline "p" `circuitBreaker.maxRejectedShare` to be between 0 and 1, got 2/,
    );
  });
});
