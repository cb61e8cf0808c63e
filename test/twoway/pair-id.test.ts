import { afterEach, describe, expect, it, vi } from 'vitest';
import { newPairId } from '../../src/twoway/pair-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function expectIncreasing(ids: readonly string[]): void {
  for (let at = 1; at < ids.length; at++) {
    if (!(ids[at - 1]! < ids[at]!)) expect(`${ids[at - 1]} < ${ids[at]}`).toBe('increasing');
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('pair ids', () => {
  it('are UUIDv7s carrying the time, each greater than the one before', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, () => newPairId());
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expectIncreasing(ids);
    const ms = Number.parseInt(ids[0]!.replaceAll('-', '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('keep increasing past 4,096 ids in one millisecond and when the clock steps back', () => {
    const now = Date.now() + 60_000;
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    const ids = Array.from({ length: 10_000 }, () => newPairId());
    clock.mockReturnValue(now - 5_000);
    ids.push(...Array.from({ length: 100 }, () => newPairId()));
    expectIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
