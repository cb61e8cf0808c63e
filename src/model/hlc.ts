import { KeepsyncError } from './errors.js';

/** A hybrid logical clock timestamp: wall-clock millis, a counter, and the issuing node. */
export interface HlcTimestamp {
  readonly wallMs: number;
  readonly counter: number;
  readonly node: string;
}

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;
const NODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const HLC_PATTERN = /^(\d{15})-(\d{6})-([A-Za-z0-9_.-]{1,64})$/;

/**
 * The sortable string form: fixed-width decimal fields, so plain string comparison orders
 * timestamps by wall time, then counter, then node id (a deterministic tie break).
 */
export function formatHlc(ts: HlcTimestamp): string {
  return `${String(ts.wallMs).padStart(WALL_DIGITS, '0')}-${String(ts.counter).padStart(COUNTER_DIGITS, '0')}-${ts.node}`;
}

export function parseHlc(text: string): HlcTimestamp {
  const match = HLC_PATTERN.exec(text);
  if (!match) {
    throw new KeepsyncError(
      'HLC_INVALID',
      `Expected an HLC version like 001700000000000-000000-node, got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return { wallMs: Number(match[1]), counter: Number(match[2]), node: match[3]! };
}

export function isHlc(text: string): boolean {
  return HLC_PATTERN.test(text);
}

export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface HlcOptions {
  /** Unique per process; it breaks ties between equal wall time and counter. */
  node: string;
  /** @default Date.now */
  now?: () => number;
  /**
   * A remote timestamp further ahead of the local wall clock than this is refused, so one
   * node with a broken clock cannot drag every clock into the future.
   * @default 60_000
   */
  maxDriftMs?: number;
}

/** A hybrid logical clock (Kulkarni et al.): monotonic even when the wall clock steps back. */
export class Hlc {
  readonly node: string;
  readonly #now: () => number;
  readonly #maxDriftMs: number;
  #wallMs = 0;
  #counter = 0;

  constructor(options: HlcOptions) {
    if (!NODE_PATTERN.test(options.node)) {
      throw new KeepsyncError(
        'HLC_INVALID',
        `Expected an HLC node id of 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(options.node)}`,
      );
    }
    this.node = options.node;
    this.#now = options.now ?? Date.now;
    this.#maxDriftMs = options.maxDriftMs ?? 60_000;
  }

  /** A new timestamp for a local event, greater than every one issued or received before. */
  tick(): string {
    const wall = this.#now();
    if (wall > this.#wallMs) {
      this.#wallMs = wall;
      this.#counter = 0;
    } else {
      this.#bumpCounter();
    }
    return formatHlc({ wallMs: this.#wallMs, counter: this.#counter, node: this.node });
  }

  /** Merges a remote timestamp, then returns a local one greater than both. */
  receive(remote: string): string {
    const theirs = parseHlc(remote);
    const wall = this.#now();
    if (theirs.wallMs - wall > this.#maxDriftMs) {
      throw new KeepsyncError(
        'HLC_INVALID',
        `HLC ${remote} is ${theirs.wallMs - wall} ms ahead of this clock (max drift ${this.#maxDriftMs} ms)`,
      );
    }
    const top = Math.max(wall, this.#wallMs, theirs.wallMs);
    if (top === this.#wallMs && top === theirs.wallMs) {
      this.#counter = Math.max(this.#counter, theirs.counter);
      this.#bumpCounter();
    } else if (top === this.#wallMs) {
      this.#bumpCounter();
    } else if (top === theirs.wallMs) {
      this.#wallMs = top;
      this.#counter = theirs.counter;
      this.#bumpCounter();
    } else {
      this.#wallMs = top;
      this.#counter = 0;
    }
    return formatHlc({ wallMs: this.#wallMs, counter: this.#counter, node: this.node });
  }

  #bumpCounter(): void {
    if (this.#counter >= MAX_COUNTER) {
      // The counter is exhausted within one millisecond: borrow the next millisecond.
      this.#wallMs += 1;
      this.#counter = 0;
    } else {
      this.#counter += 1;
    }
  }
}
