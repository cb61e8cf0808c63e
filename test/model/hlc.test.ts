import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareHlc,
  formatHlc,
  Hlc,
  type HlcTimestamp,
  isHlc,
  isKeepsyncError,
  parseHlc,
} from '../../src/model/index.js';

/** A clock the test moves by hand. */
function manualClock(start: number) {
  const clock = { ms: start, now: () => clock.ms };
  return clock;
}

function expectHlcError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    expect(isKeepsyncError(error) && error.code).toBe('HLC_INVALID');
    return error as Error;
  }
  throw new Error('Expected an HLC_INVALID error');
}

function tupleOrder(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wallMs !== b.wallMs) return Math.sign(a.wallMs - b.wallMs);
  if (a.counter !== b.counter) return Math.sign(a.counter - b.counter);
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

const timestamp = fc.record({
  wallMs: fc.integer({ min: 0, max: 10 ** 15 - 1 }),
  counter: fc.integer({ min: 0, max: 999_999 }),
  node: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
});

describe('Hlc', () => {
  it('uses the wall clock while it moves forward, restarting the counter', () => {
    const clock = manualClock(1_000);
    const hlc = new Hlc({ node: 'n1', now: clock.now });

    expect(parseHlc(hlc.tick())).toEqual({ wallMs: 1_000, counter: 0, node: 'n1' });
    expect(parseHlc(hlc.tick())).toEqual({ wallMs: 1_000, counter: 1, node: 'n1' });
    clock.ms = 2_000;
    expect(parseHlc(hlc.tick())).toEqual({ wallMs: 2_000, counter: 0, node: 'n1' });
  });

  it('stays monotonic when the wall clock steps back', () => {
    const clock = manualClock(5_000);
    const hlc = new Hlc({ node: 'n1', now: clock.now });
    const issued = [hlc.tick()];

    for (const ms of [4_000, 4_500, 1_000, 5_000, 5_001, 3_000]) {
      clock.ms = ms;
      issued.push(hlc.tick());
    }

    for (let index = 1; index < issued.length; index++) {
      expect(compareHlc(issued[index]!, issued[index - 1]!)).toBe(1);
    }
    expect(parseHlc(issued[1]!)).toEqual({ wallMs: 5_000, counter: 1, node: 'n1' });
  });

  it('returns from receive() a timestamp greater than both the remote and its own last', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: -100_000, max: 59_000 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: -50_000, max: 50_000 }),
        (start, remoteOffset, remoteCounter, step) => {
          const clock = manualClock(1_000_000 + start);
          const hlc = new Hlc({ node: 'local', now: clock.now });
          const last = hlc.tick();
          clock.ms += step;
          const remote = formatHlc({
            wallMs: clock.ms + remoteOffset,
            counter: remoteCounter,
            node: 'remote',
          });

          const merged = hlc.receive(remote);

          expect(compareHlc(merged, remote)).toBe(1);
          expect(compareHlc(merged, last)).toBe(1);
          expect(compareHlc(hlc.tick(), merged)).toBe(1);
        },
      ),
    );
  });

  it('catches up with a remote clock that is ahead', () => {
    const clock = manualClock(1_000);
    const hlc = new Hlc({ node: 'a', now: clock.now });
    hlc.tick();

    const merged = hlc.receive(formatHlc({ wallMs: 1_500, counter: 7, node: 'b' }));

    expect(parseHlc(merged)).toEqual({ wallMs: 1_500, counter: 8, node: 'a' });
  });

  it('refuses a remote timestamp further ahead than the allowed drift', () => {
    const clock = manualClock(1_000_000);
    const hlc = new Hlc({ node: 'a', now: clock.now, maxDriftMs: 60_000 });
    const tooFar = formatHlc({ wallMs: 1_060_001, counter: 0, node: 'b' });

    const error = expectHlcError(() => hlc.receive(tooFar));

    expect(error.message).toContain('60001 ms ahead');
    expect(hlc.receive(formatHlc({ wallMs: 1_060_000, counter: 0, node: 'b' }))).toBeTruthy();
  });

  it('leaves its clock untouched after refusing a remote timestamp', () => {
    const clock = manualClock(1_000);
    const hlc = new Hlc({ node: 'a', now: clock.now, maxDriftMs: 10 });
    hlc.tick();

    expectHlcError(() => hlc.receive(formatHlc({ wallMs: 999_999, counter: 0, node: 'b' })));

    expect(parseHlc(hlc.tick())).toEqual({ wallMs: 1_000, counter: 1, node: 'a' });
  });

  it('borrows the next millisecond when the counter overflows', () => {
    const clock = manualClock(1_000);
    const hlc = new Hlc({ node: 'a', now: clock.now });
    const full = formatHlc({ wallMs: 1_000, counter: 999_999, node: 'b' });

    const merged = hlc.receive(full);

    expect(parseHlc(merged)).toEqual({ wallMs: 1_001, counter: 0, node: 'a' });
    expect(compareHlc(merged, full)).toBe(1);
    expect(parseHlc(hlc.tick())).toEqual({ wallMs: 1_001, counter: 1, node: 'a' });
  });

  it('refuses a node id that could break the sortable form', () => {
    expectHlcError(() => new Hlc({ node: 'has space' }));
    expectHlcError(() => new Hlc({ node: '' }));
    expectHlcError(() => new Hlc({ node: 'x'.repeat(65) }));
  });
});

describe('HLC strings', () => {
  it('sort as strings in (wall, counter, node) order', () => {
    fc.assert(
      fc.property(timestamp, timestamp, (a, b) => {
        expect(compareHlc(formatHlc(a), formatHlc(b))).toBe(tupleOrder(a, b));
      }),
    );
  });

  it('parse back to the timestamp they were formatted from', () => {
    fc.assert(
      fc.property(timestamp, (ts) => {
        const text = formatHlc(ts);
        expect(isHlc(text)).toBe(true);
        expect(parseHlc(text)).toEqual(ts);
      }),
    );
  });

  it('refuse malformed text, quoting it in the error', () => {
    for (const text of [
      '',
      'nope',
      '1700000000000-000000-node',
      '001700000000000-0-node',
      '001700000000000-000000-',
      '001700000000000-000000-bad node',
      '001700000000000-000000-node\n',
    ]) {
      expect(isHlc(text)).toBe(false);
      const error = expectHlcError(() => parseHlc(text));
      expect(error.message).toContain(JSON.stringify(text.slice(0, 80)));
    }
  });

  it('make receive() refuse a malformed remote timestamp', () => {
    const hlc = new Hlc({ node: 'a', now: () => 1_000 });

    expectHlcError(() => hlc.receive('garbage'));
  });
});
